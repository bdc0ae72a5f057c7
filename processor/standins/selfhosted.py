"""Self-hosted servers' own APIs: llama.cpp's server's `POST /completion` and Text Generation
Inference's `POST /generate` and `/generate_stream`, as they write them (llama.cpp's
`tools/server`, TGI's `router/src/server.rs`).

llama.cpp answers `{"content", "stop": true, "model", "tokens_predicted", "tokens_evaluated",
"stop_type", "timings"...}`, or streams SSE events `{"content": "…", "stop": false}` ending
with one that has `"stop": true` and the counts, and no `[DONE]`. Its model is its alias, else
`gpt-3.5-turbo`. TGI's `/generate` answers `{"generated_text"}` (plus `details` when asked)
with the counts in `x-prompt-tokens` / `x-generated-tokens` headers; `/generate_stream` sends
one SSE event per token, `generated_text` null until the last, whose `details` carry
`input_length` and `generated_tokens`; TGI's `POST /` is either, as the body's `stream` says,
the plain answer wrapped in a list. SGLang's `/generate` (a body with `sampling_params` or `text`,
no `inputs`) answers `{"text", "meta_info"}` with the counts (a list of them for a batch of
prompts, each with the planned counts), or streams SSE events with the
running counts, the last with a `finish_reason`, then `[DONE]`. Text Embeddings Inference's
`/embed` (and its `POST /`, for a body with neither `parameters` nor `stream`, as
huggingface_hub's `feature_extraction` sends) answers the embeddings alone, one per input, with
the count in `x-compute-tokens` (text-embeddings-inference's `router/src/http/server.rs`).
"""

from __future__ import annotations

from typing import Any

from .plan import Plan
from .reply import Reply, json_reply, sse_event, sse_reply

LLAMA_CPP_MODEL = "gpt-3.5-turbo"
"""What llama.cpp's server names its model without `--alias` (DEFAULT_OAICOMPAT_MODEL)."""
PATHS = ("/completion", "/generate", "/generate_stream", "/embed")
TEI_DIMENSIONS = 4
"""The length of each embedding TEI's stand-in answers (a real model's is 384 to 4,096)."""


def handle(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    path = path.split("?", 1)[0]
    if plan.fail and plan.fail != "cut":
        return json_reply({"error": f"stand-in error {plan.fail}"}, int(plan.fail))
    if path.endswith("/completion"):
        return _llama_cpp(body, plan)
    if (
        path.endswith("/generate")
        and "inputs" not in body
        and ("sampling_params" in body or "text" in body)
    ):
        return _sglang(body, plan)
    if path.endswith("/generate"):
        return _tgi(body, plan, stream=False)
    if path.endswith("/generate_stream"):
        return _tgi(body, plan, stream=True)
    if path.endswith("/embed") or not ("parameters" in body or "stream" in body):
        return _tei(body, plan)
    # `POST /`: either, as `stream` says; `/generate`'s answer wrapped in a list
    reply = _tgi(body, plan, stream=body.get("stream") is True)
    if reply.body is not None:
        reply.body = b"[" + reply.body + b"]"
    return reply


def _llama_cpp(body: dict[str, Any], plan: Plan) -> Reply:
    final = {
        "content": "" if body.get("stream") else plan.text,
        "id_slot": 0,
        "stop": True,
        "model": LLAMA_CPP_MODEL,
        "tokens_predicted": plan.output_tokens,
        "tokens_evaluated": plan.input_tokens,
        "stop_type": "limit",
        "stopping_word": "",
        "tokens_cached": plan.input_tokens + plan.output_tokens,
        "timings": {"prompt_n": plan.input_tokens, "predicted_n": plan.output_tokens},
    }
    if "output" in plan.omit:
        del final["tokens_predicted"]
    if not body.get("stream"):
        return json_reply(final)
    events = [sse_event({"content": word, "stop": False, "id_slot": 0}) for word in plan.pieces]
    return sse_reply([*events, sse_event(final)], cut=plan.fail == "cut")


def _tgi(body: dict[str, Any], plan: Plan, stream: bool) -> Reply:
    details = {"finish_reason": "length", "generated_tokens": plan.output_tokens, "seed": None}
    if "output" in plan.omit:
        del details["generated_tokens"]
    if not stream:
        document: dict[str, Any] = {"generated_text": plan.text}
        parameters = body.get("parameters")
        if isinstance(parameters, dict) and parameters.get("details"):
            document["details"] = {**details, "prefill": [], "tokens": []}
        headers = {
            "x-compute-type": "gpu+optimized",
            "x-prompt-tokens": str(plan.input_tokens),
            "x-generated-tokens": str(plan.output_tokens),
            "x-total-tokens": str(plan.input_tokens + plan.output_tokens),
        }
        if "output" in plan.omit:
            del headers["x-generated-tokens"]
        return json_reply(document, headers=headers)
    events = []
    for index, word in enumerate(plan.pieces, start=1):
        token = {"id": index, "text": word, "logprob": -0.5, "special": False}
        last = index == len(plan.pieces)
        events.append(
            sse_event(
                {
                    "index": index,
                    "token": token,
                    "top_tokens": None,
                    "generated_text": plan.text if last else None,
                    "details": {**details, "input_length": plan.input_tokens} if last else None,
                }
            )
        )
    return sse_reply(events, cut=plan.fail == "cut", headers={"x-compute-type": "gpu+optimized"})


def _sglang(body: dict[str, Any], plan: Plan) -> Reply:
    def meta(done: int, final: bool) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": "standin-sglang",
            "finish_reason": {"type": "length", "length": plan.output_tokens} if final else None,
            "prompt_tokens": plan.input_tokens,
            "completion_tokens": done,
            "cached_tokens": 0,
        }
        if final and "output" in plan.omit:
            del found["completion_tokens"]
        return found

    if not body.get("stream"):
        answer = {"text": plan.text, "meta_info": meta(plan.output_tokens, True)}
        prompts = body.get("text")
        if isinstance(prompts, list):  # a batch: one answer per prompt, in a list
            return json_reply([answer] * len(prompts))
        return json_reply(answer)
    prompts = body.get("text")
    batch = len(prompts) if isinstance(prompts, list) else 0
    events, text = [], ""
    for index, word in enumerate(plan.pieces, start=1):
        text += word
        last = index == len(plan.pieces)
        done = plan.output_tokens if last else min(index, plan.output_tokens)
        if not batch:
            events.append(sse_event({"text": text, "meta_info": meta(done, last)}))
        for element in range(batch):  # a batch: the prompts' events interleaved, by index
            answer = {"text": text, "meta_info": meta(done, last), "index": element}
            events.append(sse_event(answer))
    events.append(sse_event(b"[DONE]"))
    return sse_reply(events, cut=plan.fail == "cut")


def _tei(body: dict[str, Any], plan: Plan) -> Reply:
    inputs = body.get("inputs")
    texts = inputs if isinstance(inputs, list) else [inputs]
    vectors = [[0.125] * TEI_DIMENSIONS for _ in texts]
    headers = {
        "x-compute-type": "cpu",
        "x-compute-characters": str(sum(len(text) for text in texts if isinstance(text, str))),
        "x-compute-tokens": str(plan.input_tokens),
        "x-total-time": "3",
        "x-tokenization-time": "0",
        "x-queue-time": "0",
        "x-inference-time": "2",
    }
    return json_reply(vectors, headers=headers)
