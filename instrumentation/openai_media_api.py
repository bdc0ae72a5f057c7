"""OpenAI's image and audio APIs: `/images/generations`, `/images/edits`,
`/audio/transcriptions`, `/audio/translations` and `/audio/speech`.

They are priced by token like chat (gpt-image-1 $5 per million text input tokens, $10 image
input, $40 output; gpt-4o-transcribe $6 per million audio input tokens), and an application
that generates images spends more per call than on chat, so they are metered like chat.
Their usage objects differ from chat's: `input_tokens` / `output_tokens`, with the modality
split in `input_tokens_details` (images) or `input_token_details` (transcriptions), and a
whisper-1 transcription reports `{"type": "duration", "seconds": …}` instead of tokens, which
no per-token price covers: the call is then stored with its usage missing, never at $0.

Speech (`/audio/speech`) reports usage only when streamed as SSE (`stream_format: "sse"`, in
`speech.audio.done`): an audio body carries none, so those calls are stored with their usage
missing (tts-1 is billed per character of input, gpt-4o-mini-tts per token).

Uploads (`/images/edits`, `/audio/*`) are multipart forms, whose fields routing reads from
the client's multipart stream (`request_body.form_fields`) rather than from body bytes.
"""

from __future__ import annotations

import re
from typing import Any

from .api import Api
from .openai_api import (
    AUDIO_INPUT_TOKENS,
    AUDIO_OUTPUT_TOKENS,
    IMAGE_INPUT_TOKENS,
    model_or_deployment,
)
from .request_body import RequestFields
from .usage import Observed, Usage, count

IMAGE_OUTPUT_TOKENS = "gen_ai.usage.image.output_tokens"


class _MediaApi(Api):
    """What the image and audio APIs share: OpenAI's wire format, the model in the body (or an
    Azure deployment path), and usage in the top-level `usage` of the body or of the event
    that ends a stream."""

    family = "openai"

    def request_model(self, fields: RequestFields, path: str) -> str | None:
        return model_or_deployment(fields, path)

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if isinstance(document, dict) and isinstance(document.get("usage"), dict):
            seen.raw_usage = document["usage"]
            seen.usage_final = True


class Images(_MediaApi):
    """`/images/generations` and `/images/edits`: usage in the response, or in the stream's
    `image_generation.completed` / `image_edit.completed` event.

    The output of the Images API is the image: without `output_tokens_details`, every output
    token is an image token (gpt-image-1.5 prices image output at $32 per million against $10
    for text output, so the split decides the cost)."""

    operation = "image_generation"
    sse_marker = re.compile(rb'"type"\s*:\s*"image_(?:generation|edit)\.completed"')

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        input_tokens = count(raw, "input_tokens")
        if input_tokens is None:
            return None
        output_tokens = count(raw, "output_tokens")
        by_modality: dict[str, int] = {}
        image_input = count(raw, "input_tokens_details", "image_tokens")
        if image_input:
            by_modality[IMAGE_INPUT_TOKENS] = image_input
        image_output = count(raw, "output_tokens_details", "image_tokens")
        if image_output is None and not isinstance(raw.get("output_tokens_details"), dict):
            image_output = output_tokens
        if image_output:
            by_modality[IMAGE_OUTPUT_TOKENS] = image_output
        return Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=count(raw, "input_tokens_details", "cached_tokens"),
            by_modality=by_modality,
        )


class Transcriptions(_MediaApi):
    """`/audio/transcriptions` and `/audio/translations`: usage in the response's `usage`, or
    in the stream's `transcript.text.done` event. Only token usage is read (see the module)."""

    operation = "transcription"
    sse_marker = re.compile(rb'"type"\s*:\s*"transcript\.text\.done"')

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        if raw.get("type", "tokens") != "tokens":
            return None
        input_tokens = count(raw, "input_tokens")
        if input_tokens is None:
            return None
        by_modality: dict[str, int] = {}
        audio = count(raw, "input_token_details", "audio_tokens")
        if audio:
            by_modality[AUDIO_INPUT_TOKENS] = audio
        return Usage(
            input_tokens=input_tokens,
            output_tokens=count(raw, "output_tokens"),
            by_modality=by_modality,
        )


class Speech(_MediaApi):
    """`/audio/speech`: usage in the SSE stream's `speech.audio.done` event, every output
    token an audio token."""

    operation = "speech"
    sse_marker = re.compile(rb'"type"\s*:\s*"speech\.audio\.done"')

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        input_tokens = count(raw, "input_tokens")
        if input_tokens is None:
            return None
        output_tokens = count(raw, "output_tokens")
        return Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            by_modality={AUDIO_OUTPUT_TOKENS: output_tokens} if output_tokens else {},
        )


IMAGES = Images()
TRANSCRIPTIONS = Transcriptions()
SPEECH = Speech()
