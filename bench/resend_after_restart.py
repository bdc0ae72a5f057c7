"""A resend of recent spans after a restart, past what serve's deduper is seeded with.

serve seeds its deduper at start with the calls stored whose spans started in the last hour, up
to ``SEED_CALLS`` (200,000), and with the ``stored-keys`` file's newest 200,000. Above that
(about 55 calls a second over the hour) the oldest calls of the hour are not in it. This stores
``--calls`` chat spans started over the last half hour through a real ``tokentrace serve``
(requests of 5,000), restarts it (SIGTERM), resends the ``--resent`` oldest, stops it and
counts the rows by span id: each should be stored once.

    python bench/resend_after_restart.py --calls 240000 --resent 1000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from ingest.otlp import chat, request, span
from ingest.serve_process import ServeProcess

BATCH = 5_000


def post(server: ServeProcess, body: bytes) -> None:
    """Send one OTLP/HTTP request, resent until serve acknowledges it (as exporters do)."""
    headers = {"content-type": "application/x-protobuf"}
    while True:
        sent = urllib.request.Request(f"{server.url}/v1/traces", body, headers, method="POST")
        try:
            with urllib.request.urlopen(sent, timeout=60) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=240_000)
    parser.add_argument("--resent", type=int, default=1_000)
    args = parser.parse_args()
    now_ns = time.time_ns()
    first_ns = now_ns - 30 * 60 * 10**9
    step = 30 * 60 * 10**9 // args.calls
    spans = [span(chat(), start_ns=first_ns + n * step) for n in range(args.calls)]
    with tempfile.TemporaryDirectory() as directory:
        server = ServeProcess(Path(directory)).start()
        started = time.monotonic()
        for at in range(0, args.calls, BATCH):
            post(server, request(*spans[at : at + BATCH]).SerializeToString())
        print(f"{args.calls:,} calls acknowledged in {time.monotonic() - started:.0f} s")
        assert server.stop(timeout=600) == 0
        server.start()
        post(server, request(*spans[: args.resent]).SerializeToString())
        assert server.stop(timeout=600) == 0
        rows = server.stored()["calls"]
        distinct = len({(row["trace_id"], row["span_id"]) for row in rows})
        print(f"rows {len(rows):,}, distinct spans {distinct:,}, "
              f"stored twice {len(rows) - distinct:,} of the {args.resent:,} resent")  # fmt: skip


if __name__ == "__main__":
    main()
