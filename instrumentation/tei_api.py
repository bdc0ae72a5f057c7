"""Hugging Face Text Embeddings Inference's own API: `POST /embed`, and `POST /` on a TEI server.

The body is `{"inputs": ..., "normalize", "truncate", ...}`, naming no model; the answer is
the embeddings alone (`[[0.1, ...], ...]`) and the count is in the response headers:
`x-compute-tokens`, beside `x-compute-characters`, `x-compute-type` and the timings
(text-embeddings-inference's `router/src/http/server.rs`). Its OpenAI-compatible
`/v1/embeddings` is `openai_api`'s.

`POST /` is where huggingface_hub's `InferenceClient(base_url=...).feature_extraction` posts,
and Text Generation Inference's compatible route too (`tgi_api.COMPAT`), with the same
`"inputs"` body: a TGI request need not say `parameters` or `stream`. Such a call is routed as
TGI's, and its answer tells the server: TEI's count header without TGI's `x-prompt-tokens`
makes it an embeddings call of `tei` (`answered`), as `/embed` is from the start.
"""

from __future__ import annotations

from typing import Any

from .api import Api
from .headers import Entries
from .usage import Observed, Usage, count

FAMILY = "tei"
OPERATION = "embeddings"
TOKENS_HEADER = b"x-compute-tokens"
"""The input tokens the embeddings took, as `headers.entries` gives the name."""


def answered(found: Entries, seen: Observed) -> bool:
    """Whether a response's headers are TEI's: then records its count in `seen`, with the
    server and the operation it names (`Observed.served_by`, `Observed.operation`)."""
    tokens = next((value for _, name, value in found if name == TOKENS_HEADER), None)
    if tokens is None or not tokens.strip().isdigit():
        return False
    seen.raw_usage = {"input_tokens": int(tokens)}
    seen.usage_final = True
    seen.served_by = FAMILY
    seen.operation = OPERATION
    return True


def usage(raw: dict[str, Any]) -> Usage | None:
    """TEI's count: input tokens; an embedding generates none."""
    input_tokens = count(raw, "input_tokens")
    if input_tokens is None:
        return None
    return Usage(input_tokens=input_tokens)


class Embed(Api):
    family = FAMILY
    operation = OPERATION
    body_marker = b'"inputs"'

    def observe_headers(self, found: Entries, seen: Observed) -> None:
        answered(found, seen)

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        """The body is the embeddings alone: nothing to read."""

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        return usage(raw)


EMBED = Embed()
