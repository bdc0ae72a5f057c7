"""Instructions that tokentrace's urllib3 wrapper (`instrumentation/urllib3_send.py`) adds to
a request that is no LLM call, measured as `perf stat -e instructions:u` counts of this script.

Every urllib3 request passes `HTTPConnectionPool.urlopen`, `requests`' too (after the adapter's
own check), so the wrapper's cost on other requests is what matters. Here the original
`urlopen` is a no-op, so the loop counts the wrapper alone; run the same loop without
tokentrace and take the difference per call:

    perf stat -e instructions:u python bench/urllib3_non_llm.py SCENARIO off
    perf stat -e instructions:u python bench/urllib3_non_llm.py SCENARIO on

SCENARIO: `get` (a GET), `post` (a JSON POST on another path), `llm_path` (a POST on
`/v1/chat/completions` that names no model on an unknown host: path check, body scan, host and
model lookups, no span), `in_call` (a POST on an LLM path inside a call already metered, as
`requests`' adapter sends one). Run `--calls 0` for the start-up cost to subtract.
"""

from __future__ import annotations

import argparse

from opentelemetry import context
from opentelemetry.sdk.trace import TracerProvider
from urllib3.connectionpool import HTTPConnectionPool

from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.instrumentation.call import IN_CALL

BODY = b'{"messages":[{"role":"user","content":"hello"}]}'
SCENARIOS = {
    "get": ("GET", "/v1/models"),
    "post": ("POST", "/api/orders"),
    "llm_path": ("POST", "/v1/chat/completions"),
    "in_call": ("POST", "/v1/chat/completions"),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("mode", choices=("off", "on"))
    parser.add_argument("--calls", type=int, default=200_000)
    args = parser.parse_args()
    HTTPConnectionPool.urlopen = lambda self, *a, **k: None  # type: ignore[method-assign]
    if args.mode == "on":
        LLMInstrumentor().instrument(tracer_provider=TracerProvider(), provider_urls="")
    pool = HTTPConnectionPool("gateway.internal", 8080)
    method, url = SCENARIOS[args.scenario]
    token = None
    if args.scenario == "in_call":
        token = context.attach(context.set_value(IN_CALL, True))
    urlopen = pool.urlopen
    for _ in range(args.calls):
        urlopen(method, url, body=BODY, headers={"content-type": "application/json"})
    if token is not None:
        context.detach(token)


if __name__ == "__main__":
    main()
