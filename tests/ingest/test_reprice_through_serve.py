"""``tokentrace reprice`` while serve ingests: serve runs it with its sink paused."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from .otlp import chat, request, span
from .serve_process import ServeProcess

pytestmark = pytest.mark.slow

ACME = {"gen_ai.provider.name": "acme", "gen_ai.request.model": "acme-1",
        "gen_ai.response.model": None}  # fmt: skip


class Sender(threading.Thread):
    """Posts requests of 5 acme-1 spans one after another; keeps the acknowledged ids."""

    def __init__(self, server: ServeProcess) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.acked: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        number = 0
        while not self.stopping.is_set():
            spans = [span(chat(**ACME), trace_id=(number * 10 + i).to_bytes(16, "big"))
                     for i in range(5)]  # fmt: skip
            body = request(*spans).SerializeToString()
            while True:  # as an exporter retries: until acknowledged
                connection = http.client.HTTPConnection("127.0.0.1", self.server.http_port, 10)
                connection.request(
                    "POST", "/v1/traces", body, {"content-type": "application/x-protobuf"}
                )
                status = connection.getresponse().status
                connection.close()
                if status == 200:
                    break
                time.sleep(0.05)
            self.acked.extend(item.trace_id.hex() for item in spans)
            number += 1
            time.sleep(0.01)


def _wait_stored(server: ServeProcess, calls: int) -> None:
    """Until serve's store holds ``calls`` calls, however long a loaded machine takes."""
    everything = "/api/v1/views/totals?from=2000-01-01T00:00:00%2B00:00"
    deadline = time.monotonic() + 120
    while int(json.loads(server.get(everything)[1])["rows"][0]["requests"] or 0) < calls:
        assert time.monotonic() < deadline, f"serve did not store {calls} calls"
        time.sleep(0.1)


def test_reprice_during_ingest_through_serve_counts_every_call_once(tmp_path):
    prices = tmp_path / "prices.yaml"
    prices.write_text("prices: []\n")
    server = ServeProcess(tmp_path, env={"TOKENTRACE_PRICES_FILE": str(prices)}).start()
    sender = Sender(server)
    sender.start()
    try:
        _wait_stored(server, 50)  # unpriced acme-1 calls, stored before the prices change
        prices.write_text("prices:\n  - {model: acme-1, input: 1, output: 2}\n")
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        command = [sys.executable, "-m", "tokentrace.processor.cli", "reprice",
                   "--since", f"{yesterday}", "--format", "json",
                   "--clickhouse", server.store_url, "--api", server.url]  # fmt: skip
        run = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        result = json.loads(run.stdout)
        time.sleep(1.0)
    finally:
        sender.stopping.set()
        sender.join(60)
    assert server.stop() == 0
    # serve drains its spool for a few seconds when stopped and keeps the rest spooled; on a
    # loaded machine some acknowledged calls are still there, and the next start stores them.
    server.start()
    _wait_stored(server, len(sender.acked))
    assert server.stop() == 0

    assert result["changed"] >= 50 and result["newly_priced"] == result["changed"]
    stored = server.stored()
    ids = [row["trace_id"] for row in stored["calls"]]
    assert len(ids) == len(set(ids)), "a call was stored twice"
    assert sorted(ids) == sorted(sender.acked)
    total = sum(Decimal(row["cost"]) for row in stored["calls"])
    priced = [row for row in stored["calls"] if row["priced"]]
    assert len(priced) >= result["changed"]
    # 1000 input tokens at $1/M and 100 output at $2/M
    assert {Decimal(row["cost"]) for row in priced} == {Decimal("0.0012")}
    for rollup in ("llm_cost_hourly", "llm_cost_daily"):
        requests, cost, _ = stored[rollup]
        assert (int(requests), Decimal(cost)) == (len(ids), total), rollup
