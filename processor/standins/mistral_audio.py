"""Mistral's transcription API (`POST /v1/audio/transcriptions`, the mistralai SDK's
`audio.transcriptions.complete`): a multipart upload answered with the model, the text, its
language, segments and `usage` (`UsageInfo`: `prompt_audio_seconds`, the whole seconds of
audio billed, here the usage header's `input`, beside token counts). Voxtral transcription is
billed per minute of audio.
"""

from __future__ import annotations

from typing import Any

from .openai import error
from .plan import Plan
from .reply import Reply, json_reply


def handle(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    if plan.fail and plan.fail != "cut":
        return error(int(plan.fail))
    usage = {
        "prompt_audio_seconds": plan.input_tokens,
        "prompt_tokens": 4,
        "completion_tokens": plan.output_tokens,
        "total_tokens": 4 + plan.output_tokens,
    }
    return json_reply(
        {
            "model": str(body.get("model", "voxtral-mini-latest")),
            "text": plan.text,
            "language": "en",
            "segments": [],
            "usage": usage,
        }
    )
