"""``tokentrace serve --prices-update URL``: a real serve fetching a genai-prices data file
(the bundled data, Claude 3.5 Haiku's output rate changed) from a mirror on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pricing.genai_data import HAIKU, data_file

from ingest.otlp import NOW_NS, chat, request, span
from ingest.serve_process import ServeProcess

pytestmark = pytest.mark.slow

HAIKU_CALL = chat(
    **{
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": HAIKU,
        "gen_ai.response.model": HAIKU,
        "gen_ai.usage.input_tokens": 1_000_000,
        "gen_ai.usage.output_tokens": 1_000_000,
    }
)


@pytest.fixture(scope="module")
def mirror() -> Iterator[str]:
    body = data_file("5")  # output $5 per million tokens instead of $4

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/genai-prices/data.json"
            self.send_response(200 if found else 404)
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            self.wfile.write(body if found else b"")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/genai-prices"
    httpd.shutdown()


def send(server: ServeProcess) -> None:
    body = request(span(HAIKU_CALL)).SerializeToString()
    headers = {"content-type": "application/x-protobuf"}
    sent = urllib.request.Request(f"{server.url}/v1/traces", body, headers, method="POST")
    with urllib.request.urlopen(sent, timeout=30) as answer:
        assert answer.status == 200


def update_status(server: ServeProcess) -> dict[str, Any]:
    """``/api/v1/prices/update`` once the first fetch has an outcome."""
    deadline = time.monotonic() + 60
    while True:
        status, body = server.get("/api/v1/prices/update")
        doc = json.loads(body)
        if status == 200 and (doc["last_update"] or doc["last_error"]):
            return doc
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.1)


def test_fetched_prices_price_new_calls_and_name_the_day_to_reprice(
    tmp_path: Path, mirror: str
) -> None:
    before = ServeProcess(tmp_path).start()
    try:
        send(before)  # priced with the bundled data: $0.80 + $4
    finally:
        assert before.stop() == 0
    server = ServeProcess(tmp_path, args=("--prices-update", f"{mirror}/data.json")).start()
    try:
        doc = update_status(server)
        day = datetime.fromtimestamp(NOW_NS / 1e9, UTC).date()
        command = f"tokentrace reprice --since {day} --until {day + timedelta(days=1)}"
        assert doc["url"] == f"{mirror}/data.json" and doc["last_error"] is None
        assert doc["price_version"].startswith("genai-prices@0.2.3+")
        assert (doc["reprice_days"], doc["reprice_commands"]) == ([day.isoformat()], [command])
        send(server)
        _, metrics = server.get("/metrics")
        assert b"tokentrace_prices_reprice_days 1.0" in metrics
        assert b'tokentrace_prices_updates_total{outcome="updated"} 1.0' in metrics
    finally:
        assert server.stop() == 0
    warnings = [line for line in server.log().splitlines() if "re-price them with" in line]
    assert len(warnings) == 1 and warnings[0].endswith(command), server.log()
    costs = sorted(Decimal(row["cost"]) for row in server.stored()["calls"])
    assert costs == [Decimal("4.8"), Decimal("5.8")]


def test_an_unreachable_mirror_is_one_log_line_and_the_bundled_prices_stay(
    tmp_path: Path, mirror: str
) -> None:
    server = ServeProcess(tmp_path, args=("--prices-update", f"{mirror}/missing.json")).start()
    try:
        doc = update_status(server)
        assert doc["last_error"].startswith(f"price update from {mirror}/missing.json failed")
        send(server)
    finally:
        assert server.stop() == 0
    errors = [line for line in server.log().splitlines() if "price update from" in line]
    assert len(errors) == 1 and "keeping genai-prices@0.2.3" in errors[0], server.log()
    assert "Traceback" not in server.log()
    assert [Decimal(row["cost"]) for row in server.stored()["calls"]] == [Decimal("4.8")]
