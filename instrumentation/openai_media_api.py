"""OpenAI's image and audio APIs: `/images/generations`, `/images/edits`,
`/audio/transcriptions`, `/audio/translations` and `/audio/speech`.

Most are priced by token like chat (gpt-image-1 $5 per million text input tokens, $10 image
input, $40 output; gpt-4o-transcribe $6 per million audio input tokens), and an application
that generates images spends more per call than on chat, so they are metered like chat.
Their usage objects differ from chat's: `input_tokens` / `output_tokens`, with the modality
split in `input_tokens_details` (images) or `input_token_details` (transcriptions).

Two are billed in other units (`tokentrace.usage.<unit>`, genai-prices' unit names):
- whisper-1 by the second: its usage is `{"type": "duration", "seconds": …}`, in whole seconds
  as billed (the API reference's example: a `duration` of 8.47 s, `seconds` 9), in the `json`
  and `verbose_json` answers; `text`, `srt` and `vtt` answers carry none, nor does any
  translation (`verbose_json` gives only the exact `duration`), and a fractional `seconds`
  says nothing of the rounding: such calls are stored with their usage missing.
- tts-1 and tts-1-hd by the character of the request's `input` (`Speech.request_usage`).
- Mistral's Voxtral transcription (the same path on api.mistral.ai) by the minute: its usage
  (`UsageInfo`) reports `prompt_audio_seconds`, whole seconds, beside token counts that are
  not what it bills (https://mistral.ai/pricing: Voxtral Mini Transcribe $0.003 a minute).

Speech (`/audio/speech`) reports token usage only when streamed as SSE (`stream_format:
"sse"`, in `speech.audio.done`): an audio body carries none, so such a call is stored with the
characters it sent, which price tts-1 and leave a per-token model (gpt-4o-mini-tts) unpriced.

Uploads (`/images/edits`, `/audio/*`) are multipart forms, whose fields routing reads from
the client's multipart stream (`request_body.form_fields`) rather than from body bytes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .api import Api
from .bodies import IMAGES_COUNTED
from .openai_api import (
    AUDIO_INPUT_TOKENS,
    AUDIO_OUTPUT_TOKENS,
    IMAGE_INPUT_TOKENS,
    model_or_deployment,
)
from .provider_cost import from_usage
from .request_body import RequestFields, content, form_values
from .usage import INPUT_AUDIO_SECONDS, INPUT_CHARACTERS, OUTPUT_IMAGES, Observed, Usage, count

IMAGE_OUTPUT_TOKENS = "gen_ai.usage.image.output_tokens"
_IMAGES = "tokentrace.images"
"""The key of the images counted in an answer without usage (DALL·E), in the usage kept."""
_IMAGE_KEYS = frozenset({"b64_json", "url"})


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
    """`/images/generations`, `/images/edits` and `/images/variations`: usage in the response,
    or in the stream's `image_generation.completed` / `image_edit.completed` event.

    The output of the Images API is the image: without `output_tokens_details`, every output
    token is an image token (gpt-image-1.5 prices image output at $32 per million against $10
    for text output, so the split decides the cost).

    DALL·E 2 and 3 answer without usage: they bill per image, at a rate set by the request's
    `size` and `quality` (https://openai.com/api/pricing: DALL·E 3 standard 1024×1024 $0.04,
    HD 1792×1024 $0.12…). Their images are counted (`tokentrace.usage.output_images`: the
    `data` entries, or the `b64_json` keys of a body too large to keep), and the size and
    quality asked for are the call's tier, `{quality}-{size}` (`standard-1024x1024`), with
    the API reference's defaults (`1024x1024`; `standard`, DALL·E 2's only quality).

    xAI's image models (grok-imagine-image…, per image) answer with a `usage` that has no
    token counts, only the cost charged (`cost_in_usd_ticks`,
    https://docs.x.ai/developers/cost-tracking: "An image generation with
    `cost_in_usd_ticks`: 200000000 cost $0.02"): that cost is the call's, with the images
    counted."""

    operation = "image_generation"
    sse_marker = re.compile(rb'"type"\s*:\s*"image_(?:generation|edit)\.completed"')
    tiers_by_request = True

    def request_tier(self, request: Any) -> str | None:
        body = content(request)
        if body.startswith(b"{"):
            try:
                options = json.loads(body)
            except ValueError:
                return None
        else:
            options = form_values(request)
        if not isinstance(options, dict):
            return None
        # A request without a model (the API's default, dall-e-2; an Azure deployment, which
        # the path names, whatever model it serves) names no price: no tier is guessed.
        model = options.get("model")
        if not isinstance(model, str) or not model.startswith("dall-e"):
            return None
        size = options.get("size") or "1024x1024"
        quality = options.get("quality") or "standard"
        if not isinstance(size, str) or not isinstance(quality, str):
            return None
        return f"{quality}-{size}"

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict):
            return
        usage = document.get("usage")
        if isinstance(usage, dict) and "input_tokens" not in usage and "data" in document:
            usage = {**usage, _IMAGES: _counted(document)}  # a copy: xAI's, cost alone
        if isinstance(usage, dict):
            seen.raw_usage = usage
            seen.usage_final = True
            return
        images = _counted(document)
        if isinstance(images, int):
            seen.raw_usage = {_IMAGES: images}
            seen.usage_final = True

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        input_tokens = count(raw, "input_tokens")
        if input_tokens is None:
            cost = from_usage(raw)
            if _IMAGES not in raw:
                return None if cost is None else Usage(input_tokens=None, provider_cost=cost)
            counted = {OUTPUT_IMAGES: raw[_IMAGES]}
            return Usage(input_tokens=None, by_modality=counted, provider_cost=cost)
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


def _counted(document: dict[str, Any]) -> Any:
    """The images an answer holds: its `data` entries with an image, else the count kept of a
    body too large to keep (`bodies.IMAGES_COUNTED`)."""
    data = document.get("data")
    if isinstance(data, list):
        return sum(1 for item in data if isinstance(item, dict) and _IMAGE_KEYS & item.keys())
    return document.get(IMAGES_COUNTED)


class Transcriptions(_MediaApi):
    """`/audio/transcriptions` and `/audio/translations`: usage in the response's `usage`, or
    in the stream's `transcript.text.done` event: tokens, or whole seconds (see the module)."""

    operation = "transcription"
    sse_marker = re.compile(rb'"type"\s*:\s*"transcript\.text\.done"')

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        kind = raw.get("type", "tokens")
        if kind == "duration":
            seconds = raw.get("seconds")
            if isinstance(seconds, float) and seconds.is_integer():
                seconds = int(seconds)
            if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
                return None
            return Usage(input_tokens=None, by_modality={INPUT_AUDIO_SECONDS: seconds})
        seconds = count(raw, "prompt_audio_seconds")
        if seconds is not None:  # Mistral's Voxtral transcription: billed per minute of audio
            return Usage(input_tokens=None, by_modality={INPUT_AUDIO_SECONDS: seconds})
        if kind != "tokens":
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
            # A gateway's charge (OpenRouter's speech-to-text usage has `cost`, USD).
            provider_cost=from_usage(raw),
        )


class Speech(_MediaApi):
    """`/audio/speech`: usage in the SSE stream's `speech.audio.done` event, every output
    token an audio token; else the characters of the request's `input`."""

    operation = "speech"
    sse_marker = re.compile(rb'"type"\s*:\s*"speech\.audio\.done"')
    counts_request = True

    def request_usage(self, body: bytes) -> Usage | None:
        """The characters of `input`, when they can be counted exactly: OpenAI bills tts-1
        "per 1M characters" and does not say how it counts characters beyond ASCII (code
        points, UTF-16 units, bytes?), so a text with any other character is not counted."""
        try:
            document = json.loads(body)
        except ValueError:
            return None
        text = document.get("input") if isinstance(document, dict) else None
        if not isinstance(text, str) or not text.isascii():
            return None
        return Usage(input_tokens=None, by_modality={INPUT_CHARACTERS: len(text)})

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
