"""A call that a span describes only in its events: LlamaIndex's own OpenTelemetry tracing.

``llama-index-observability-otel`` (0.7) makes a span per instrumented method
(``OpenAI.chat``, ``Anthropic.astream_chat``, ``OpenAIEmbedding.get_text_embedding``) with no
attribute at all, and writes LlamaIndex's instrumentation events on it as span events, each
event's fields flattened into dotted attribute keys:

- a start event (``LLMChatStartEvent``, ``LLMCompletionStartEvent``,
  ``EmbeddingStartEvent``) names the model (``model_dict.model_name``); a completion's
  says whether the model is a chat model (``model_dict.is_chat_model``): LlamaIndex sends
  a chat model's completion as a chat request, another's to the Completions API
  (``text_completion``; recorded: ``llama_index_otel_completions``, gpt-3.5-turbo-instruct);
- the end event of a chat or a completion (``LLMChatEndEvent``,
  ``LLMCompletionEndEvent``) holds the provider's response whole under ``response.raw.``:
  its id, its model and its usage object (``response.raw.usage.prompt_tokens``,
  ``response.raw.usage.prompt_tokens_details.cached_tokens``, Anthropic's
  ``response.raw.usage.input_tokens`` and ``cache_read_input_tokens``…). A stream's span
  ends when the stream is returned, before any of it: no end event, so no usage; nor has an
  embedding's end event a count.

What is read here fills only the fields the span's own attributes leave empty, so a
release that sets GenAI attributes on these spans is read as any other source's.
"""

from __future__ import annotations

import json
from typing import Any

from tokentrace.processor.receivers import otlp_wire

_START_EVENTS = frozenset(
    {b"LLMChatStartEvent", b"LLMCompletionStartEvent", b"EmbeddingStartEvent"}
)
_END_EVENTS = frozenset({b"LLMChatEndEvent", b"LLMCompletionEndEvent"})
_MODEL = b"model_dict.model_name"
_CHAT_MODEL = b"model_dict.is_chat_model"
_RAW = b"response.raw."
_USAGE = "usage."


class Described:
    """What a span's events say of its call; None where they do not say it."""

    __slots__ = ("model", "operation", "response_id", "response_model", "usage")

    def __init__(self) -> None:
        self.model: str | None = None
        self.operation: str | None = None
        self.response_model: str | None = None
        self.response_id: str | None = None
        # the provider's usage object, rebuilt as JSON (``sources.UsageObject`` reads it)
        self.usage: str | None = None


def described(events: Any) -> Described | None:
    """What the start and end events of a span say of its call; None when it has neither
    (a span of a helper method: ``_prepare_chat_with_tools``, ``_get_text_embedding``)."""
    found: Described | None = None
    for event in events:
        if event.name in _START_EVENTS:
            found = found or Described()
            for key, value in _attributes(event.attributes, (_MODEL, _CHAT_MODEL)):
                if key == _MODEL:
                    found.model = _text(value)
                elif event.name == b"LLMCompletionStartEvent" and (
                    value is False or value == "False"
                ):
                    found.operation = "text_completion"
        elif event.name in _END_EVENTS:
            found = found or Described()
            usage: dict[str, Any] = {}
            for key, value in _attributes(event.attributes, (_RAW,)):
                name = key[len(_RAW) :].decode("utf-8", "replace")
                if name == "id":
                    found.response_id = _text(value)
                elif name == "model":
                    found.response_model = _text(value)
                elif name.startswith(_USAGE):
                    _nest(usage, name[len(_USAGE) :].split("."), _number(value))
            if usage:
                found.usage = json.dumps(usage)
    return found


def _attributes(attributes: Any, prefixes: tuple[bytes, ...]) -> Any:
    """(key, value) of the attributes whose key starts with one of ``prefixes``."""
    for kv in attributes:
        try:
            key, start, end = otlp_wire.key_value(kv)
            if key.startswith(prefixes):
                yield key, otlp_wire.any_value(kv, start, end)
        except otlp_wire.WireError:
            continue


def _text(value: Any) -> str | None:
    """A string value, unquoted (the flattening writes some values as JSON); None if empty."""
    if value.__class__ is not str:
        return None
    text = value.strip().strip('"')
    return text if text and text != "null" else None


def _number(value: Any) -> int | None:
    """A count as the flattening writes it (``"1200"``, or ``"null"``: none)."""
    if value.__class__ is int:
        return value
    if value.__class__ is str and value.isdigit():
        return int(value)
    return None


def _nest(usage: dict[str, Any], path: list[str], value: int | None) -> None:
    """``usage`` with ``value`` put at the dotted ``path``, as the provider's object had it
    (``prompt_tokens_details`` → ``cached_tokens``), for ``UsageObject``'s reading of
    the Responses API's ``input_tokens_details``."""
    for part in path[:-1]:
        child = usage.get(part)
        if child.__class__ is not dict:
            child = usage[part] = {}
        usage = child
    usage[path[-1]] = value
