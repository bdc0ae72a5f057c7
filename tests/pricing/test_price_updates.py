"""Live price data (``serve --prices-update``): genai-prices' own updater fetching a real
genai-prices data file (the bundled 0.2.3 data, one price changed) from a server on 127.0.0.1;
the pricer swaps to it, and the stored days it re-prices are named."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from genai_prices import data_snapshot, update_prices
from genai_prices.data import providers as bundled
from genai_prices.types import _providers_from_raw
from pricing.genai_data import HAIKU, data_file

from tokentrace.processor.pricing.price_updates import (
    PricesUpdateError,
    PriceUpdates,
    RepriceAdvice,
)
from tokentrace.processor.pricing.pricer import GENAI_PRICES_VERSION, Pricer


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    bodies = {
        "/data.json": data_file("5"),
        "/same.json": data_file("4"),
        "/bad.json": b"<html>not a data file</html>",
        "/wrong.json": b'{"providers": []}',
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class Updates:
    """Starts updaters; :meth:`stop` ends genai-prices' shared thread (its log lines done)."""

    def __init__(self) -> None:
        self.started: list[PriceUpdates] = []

    def __call__(self, updates: PriceUpdates) -> bool:
        """Start ``updates`` and wait for its first fetch (raises its error)."""
        self.started.append(updates)
        updates.start()
        return updates.wait(30)

    def stop(self) -> None:
        thread = update_prices._shared_updater.thread
        for updates in self.started:
            updates.stop()
        if thread is not None:
            thread.join(10)


@pytest.fixture
def run_updates() -> Iterator[Updates]:
    """Afterwards genai-prices' bundled data is put back, so no other test sees fetched
    prices."""
    updates = Updates()
    yield updates
    updates.stop()
    data_snapshot.set_custom_snapshot(None)


def store_calls(client: Any, calls: list[tuple[str, str, str]]) -> None:
    """Calls on (day, provider, response model); only what the advice reads matters."""
    rows = [
        [datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC), provider, model, model, model]
        for day, provider, model in calls
    ]
    client.insert(
        "llm_calls",
        rows,
        column_names=["ts", "provider", "request_model", "response_model", "model"],
    )


def test_the_bundled_data_round_trips_as_a_data_file() -> None:
    assert _providers_from_raw(json.loads(data_file("4"))) == bundled


def test_fetched_prices_price_the_next_calls_and_name_the_days_to_reprice(
    server: str, run_updates: Updates, store_client: Any
) -> None:
    store_calls(
        store_client,
        [
            ("2026-11-01", "anthropic", HAIKU),
            ("2026-11-02", "openai", "gpt-4o"),
            ("2026-11-03", "anthropic", "claude-3-5-haiku-20241022"),
            ("2026-11-04", "anthropic", HAIKU),
            ("2026-11-04", "openai", "gpt-4o"),
        ],
    )
    pricer = Pricer("")
    at = datetime(2026, 11, 5, tzinfo=UTC)
    before = pricer.price("anthropic", HAIKU, at, 1_000_000, 1_000_000)
    assert before.cost == Decimal("4.8") and before.price_version == GENAI_PRICES_VERSION
    outcomes: list[str] = []
    updates = PriceUpdates(
        url=f"{server}/data.json",
        pricer=pricer,
        connect=lambda: store_client,
        on_outcome=outcomes.append,
    )
    assert run_updates(updates)
    after = pricer.price("anthropic", HAIKU, at, 1_000_000, 1_000_000)
    assert after.cost == Decimal("5.8") and after.output_cost == Decimal(5)
    assert after.price_version.startswith(GENAI_PRICES_VERSION + "+")
    # Other models keep their prices; a new pricer (as reprice makes one) has the new data.
    gpt = pricer.price("openai", "gpt-4o", at, 1_000_000, 0)
    assert (
        gpt.cost
        == Pricer("", snapshot=data_snapshot._bundled_snapshot())
        .price("openai", "gpt-4o", at, 1_000_000, 0)
        .cost
    )
    assert Pricer("").price("anthropic", HAIKU, at, 0, 2_000_000).cost == Decimal(10)
    assert outcomes == ["updated"]
    assert updates.advice.days == (date(2026, 11, 1), date(2026, 11, 3), date(2026, 11, 4))
    assert updates.advice.commands() == [
        "tokentrace reprice --since 2026-11-01 --until 2026-11-02",
        "tokentrace reprice --since 2026-11-03 --until 2026-11-05",
    ]
    status = updates.status()
    assert status["reprice_days"] == ["2026-11-01", "2026-11-03", "2026-11-04"]
    assert status["price_version"] == after.price_version and status["last_error"] is None


def test_corrections_and_the_prices_file_stay_on_top(
    server: str, run_updates: Updates, tmp_path: Any
) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("prices:\n  - {model: claude-3-5-haiku-latest, input: 1, output: 2}\n")
    pricer = Pricer(prices)
    deepseek_day = datetime(2025, 10, 1, tzinfo=UTC)  # a corrected price (news250929)
    deepseek = pricer.price("deepseek", "deepseek-chat", deepseek_day, 1_000_000, 0)
    assert run_updates(PriceUpdates(url=f"{server}/data.json", pricer=pricer))
    at = datetime(2026, 11, 5, tzinfo=UTC)
    assert pricer.price("anthropic", HAIKU, at, 1_000_000, 1_000_000).cost == Decimal(3)
    corrected = pricer.price("deepseek", "deepseek-chat", deepseek_day, 1_000_000, 0)
    assert corrected.cost == deepseek.cost == Decimal("0.28")


def test_unchanged_data_keeps_the_version_and_names_no_day(
    server: str, run_updates: Updates, store_client: Any
) -> None:
    store_calls(store_client, [("2026-11-01", "anthropic", HAIKU)])
    pricer = Pricer("")
    outcomes: list[str] = []
    updates = PriceUpdates(
        url=f"{server}/same.json",
        pricer=pricer,
        connect=lambda: store_client,
        on_outcome=outcomes.append,
    )
    assert run_updates(updates)
    # Fetched data is versioned by its content, even when it equals the bundled data.
    assert outcomes == ["updated"] and updates.advice == RepriceAdvice(())
    assert pricer.data_version.startswith(GENAI_PRICES_VERSION + "+")


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/missing.json", "HTTPStatusError: Client error '404 Not Found'"),
        ("/bad.json", "JSONDecodeError: Expecting value"),
        ("/wrong.json", "ValueError: Expected fetched prices payload to be a provider array"),
    ],
)
def test_a_failed_fetch_logs_one_line_and_keeps_the_prices(
    server: str, run_updates: Updates, caplog: pytest.LogCaptureFixture, path: str, why: str
) -> None:
    pricer = Pricer("")
    at = datetime(2026, 11, 5, tzinfo=UTC)
    outcomes: list[str] = []
    updates = PriceUpdates(url=server + path, pricer=pricer, on_outcome=outcomes.append)
    with caplog.at_level(logging.ERROR), pytest.raises(PricesUpdateError) as failed:
        run_updates(updates)
    run_updates.stop()  # genai-prices logs the error just after telling its waiters
    message = f"price update from {server}{path} failed ({why}"
    assert str(failed.value).startswith(message)
    assert str(failed.value).endswith(f"); keeping {GENAI_PRICES_VERSION}")
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and message in errors[0] and "\n" not in errors[0]
    assert outcomes == ["failed"] and updates.status()["last_error"] == str(failed.value)
    assert pricer.price("anthropic", HAIKU, at, 0, 1_000_000).cost == Decimal(4)
    assert pricer.data_version == GENAI_PRICES_VERSION
    assert data_snapshot.get_snapshot() is data_snapshot._bundled_snapshot()


def test_an_unreachable_url_keeps_the_prices(run_updates: Updates) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pricer = Pricer("")
    updates = PriceUpdates(url=f"http://127.0.0.1:{port}/data.json", pricer=pricer)
    with pytest.raises(PricesUpdateError, match=r"failed \(ConnectError: .*\); keeping genai-"):
        run_updates(updates)
    assert pricer.data_version == GENAI_PRICES_VERSION


def test_reprice_advice_ranges() -> None:
    days = (date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 3))
    assert RepriceAdvice(days).commands() == [
        "tokentrace reprice --since 2026-01-31 --until 2026-02-02",
        "tokentrace reprice --since 2026-02-03 --until 2026-02-04",
    ]
