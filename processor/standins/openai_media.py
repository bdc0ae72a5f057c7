"""OpenAI's image and audio wire formats: `/images/generations`, `/images/edits`,
`/images/variations`, `/audio/transcriptions`, `/audio/translations` and `/audio/speech`.

Images answer with `usage` (input split into text and image tokens; every output token an
image token, as the Images API reports it), streamed as `image_generation.partial_image` /
`image_generation.completed` events (`image_edit.*` for edits). Transcriptions by a
gpt-4o-transcribe-style model report token usage (all input tokens audio), whisper models
`{"type": "duration", "seconds": …}` in whole seconds (with `verbose_json`, beside the exact
`duration`, as in the API reference's example: 8.47 s billed as 9); `response_format` `text`,
`srt` and `vtt` answer plain text (no usage) and a streamed transcription ends with
`transcript.text.done`, which carries the usage. Speech is audio bytes without usage, or SSE
ending in `speech.audio.done` with it. DALL·E (generations, edits, and variations, which
are dall-e-2's alone; dall-e-2 is the default model) answers `n` images without usage: it is
billed per image.
"""

from __future__ import annotations

from typing import Any

from .openai import CREATED, error
from .plan import Plan
from .reply import Reply, json_reply, sse_event, sse_reply

PATHS = (
    "/images/generations",
    "/images/edits",
    "/images/variations",
    "/audio/transcriptions",
    "/audio/translations",
    "/audio/speech",
)
SPEECH = b"ID3\x04\x00\x00" + bytes(122)  # what the stand-in calls an MP3
IMAGE = "aGVsbG8="  # base64 of the five bytes the stand-in calls an image
DURATION_SECONDS = 9
DURATION = 8.470000267028809  # the audio's length, which whisper-1 bills as DURATION_SECONDS
PLAIN_FORMATS = frozenset({"text", "srt", "vtt"})


def handle(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    if plan.fail and plan.fail != "cut":
        return error(int(plan.fail))
    path = path.split("?", 1)[0]
    if path.endswith("/images/variations") or (
        "/images/" in path and str(body.get("model", "dall-e-2")).startswith("dall-e")
    ):
        return _dall_e(body)
    if path.endswith("/images/generations"):
        return _images(body, plan, "image_generation", image_input=0)
    if path.endswith("/images/edits"):
        return _images(body, plan, "image_edit", image_input=plan.input_tokens * 3 // 4)
    if path.endswith("/audio/speech"):
        return _speech(body, plan)
    return _transcription(body, plan, translation=path.endswith("/audio/translations"))


def _dall_e(body: dict[str, Any]) -> Reply:
    """`n` images (DALL·E 3 makes one), as URLs or base64 as `response_format` asks, and no
    usage: DALL·E is billed per image. DALL·E 3 answers the prompt it rewrote too."""
    key = "url" if body.get("response_format") == "url" else "b64_json"
    value = "https://images.example/1.png" if key == "url" else IMAGE
    extra = {"revised_prompt": body.get("prompt")} if body.get("model") == "dall-e-3" else {}
    images = [{key: value, **extra} for _ in range(int(body.get("n") or 1))]
    return json_reply({"created": CREATED, "data": images})


def _speech(body: dict[str, Any], plan: Plan) -> Reply:
    """Audio bytes (no usage), or with `stream_format: "sse"` audio deltas then
    `speech.audio.done` with the usage."""
    if body.get("stream_format") != "sse":
        return Reply(body=SPEECH, content_type="audio/mpeg")
    usage = {
        "input_tokens": plan.input_tokens,
        "output_tokens": plan.output_tokens,
        "total_tokens": plan.input_tokens + plan.output_tokens,
    }
    pieces = [sse_event({"type": "speech.audio.delta", "audio": IMAGE}) for _ in plan.pieces]
    pieces.append(sse_event({"type": "speech.audio.done", "usage": usage}))
    return sse_reply(pieces, cut=plan.fail == "cut")


def _images(body: dict[str, Any], plan: Plan, event: str, image_input: int) -> Reply:
    usage = {
        "input_tokens": plan.input_tokens,
        "input_tokens_details": {
            "text_tokens": plan.input_tokens - image_input,
            "image_tokens": image_input,
        },
        "output_tokens": plan.output_tokens,
        "total_tokens": plan.input_tokens + plan.output_tokens,
    }
    if not _is_true(body.get("stream")):
        document = {"created": CREATED, "data": [{"b64_json": IMAGE}], "usage": usage}
        return json_reply(document)
    common = {"b64_json": IMAGE, "created_at": CREATED, "size": "1024x1024",
              "quality": "low", "background": "opaque", "output_format": "png"}  # fmt: skip
    pieces = [
        sse_event({"type": f"{event}.partial_image", "partial_image_index": 0, **common}),
        sse_event({"type": f"{event}.completed", **common, "usage": usage}),
    ]
    return sse_reply(pieces, cut=plan.fail == "cut")


def _transcription(body: dict[str, Any], plan: Plan, translation: bool = False) -> Reply:
    """A transcription; a translation (whisper-1 only) answers the same shapes without any
    `usage` (the API reference's `Translation` and `TranslationVerbose`: text, and with
    `verbose_json` the task, language, `duration` and segments)."""
    model = str(body.get("model", "gpt-4o-transcribe"))
    usage: dict[str, Any] | None
    if translation:
        usage = None
    elif model.startswith("whisper"):
        usage = {"type": "duration", "seconds": DURATION_SECONDS}
    else:
        usage = {
            "type": "tokens",
            "input_tokens": plan.input_tokens,
            "input_token_details": {"text_tokens": 0, "audio_tokens": plan.input_tokens},
            "output_tokens": plan.output_tokens,
            "total_tokens": plan.input_tokens + plan.output_tokens,
            **plan.usage_cost(),
        }
    if body.get("response_format") in PLAIN_FORMATS:
        return Reply(body=plan.text.encode() + b"\n", content_type="text/plain; charset=utf-8")
    billed = {} if usage is None else {"usage": usage}
    if body.get("response_format") == "verbose_json":
        task = "translate" if translation else "transcribe"
        document = {"task": task, "language": "english", "duration": DURATION,
                    "text": plan.text, "segments": [], **billed}  # fmt: skip
        return json_reply(document)
    if usage is None or not _is_true(body.get("stream")):
        return json_reply({"text": plan.text, **billed})
    pieces = [
        sse_event({"type": "transcript.text.delta", "delta": piece, "logprobs": None})
        for piece in plan.pieces
    ]
    done = {"type": "transcript.text.done", "text": plan.text, "logprobs": None}
    if usage["type"] == "tokens":
        done["usage"] = usage
    pieces.append(sse_event(done))
    return sse_reply(pieces, cut=plan.fail == "cut")


def _is_true(value: Any) -> bool:
    """A JSON `true`, or a multipart form's `"true"`."""
    return value is True or value == "true"
