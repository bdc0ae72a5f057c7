"""A spool segment left by the last run that cannot be read at start: its spans were
acknowledged, and serve cannot know them, so a resend of one of them must wait until it can."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
from clickhouse_connect.driver.exceptions import OperationalError

from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.receivers import otlp_wire
from tokentrace.processor.server import ServeConfig, Service
from tokentrace.processor.store.spool import SpoolFull

from .ingest_path import Ingest, totals
from .otlp import chat, request, span


def test_a_resend_of_spans_in_a_segment_unreadable_at_start_is_stored_once(
    tmp_path, chdb_url, store_client, caplog
):
    # serve made a request durable and was killed before its answer went out; at the next
    # start the segment holding it could not be read (here an I/O error: the file's bytes
    # read from /proc/self/mem, whoever runs the test; permissions do the same to a service
    # user). serve started without its keys and took the sender's resend: stored once then,
    # and again once the segment could be read (4 rows for 2 spans).
    sent = request(span(chat()), span(chat()))
    down = Ingest(tmp_path, _never, Pricer())
    down.send(sent)
    down.spool.close()
    down.sink.stop(0)
    (segment,) = tmp_path.glob("*.wal")
    kept = tmp_path / "kept-aside"
    segment.rename(kept)
    segment.symlink_to("/proc/self/mem")

    url = f"{chdb_url}?database={store_client.database}"
    service = Service(_config(tmp_path, url), store_client)
    try:
        problem = service.spool.problem
        assert problem.startswith(f"spool segment {segment} cannot be read ([Errno 5]")
        assert problem.endswith("or move it out of the spool directory to give its spans up")
        with pytest.raises(SpoolFull, match="exports are refused until it can"):
            service.pipeline.accept(_wire(sent), "test")  # answered 503, retried

        segment.unlink()
        kept.rename(segment)  # readable again
        deadline = time.monotonic() + 20  # a guard against a wait that never ends, not a speed
        while service.spool.problem and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.spool.problem == ""
        service.pipeline.accept(_wire(sent), "test").durable.result(timeout=10)  # the resend
        assert service.metrics.spans_duplicate.value() == 2
    finally:
        service.close()
    # gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M = $0.0035 a call; two calls
    assert totals(store_client) == ((2, Decimal("0.007"), 2000),) + ((2, Decimal("0.007")),) * 2
    assert list(tmp_path.glob("*.wal")) == []
    assert f"{segment.name} can be read now; replaying it" in caplog.text


def _never():
    raise OperationalError("down")


def _wire(message) -> otlp_wire.TraceRequest:
    return otlp_wire.TraceRequest.FromString(message.SerializeToString())


def _config(spool: Path, url: str) -> ServeConfig:
    return ServeConfig(
        host="127.0.0.1",
        http_port=0,
        grpc_port=0,
        clickhouse_url=url,
        cluster=None,
        spool_dir=spool,
        spool_max_bytes=1 << 30,
        max_body_bytes=1 << 20,
        auth_token=None,
    )
