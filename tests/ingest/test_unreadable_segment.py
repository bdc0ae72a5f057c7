"""A spool segment left by the last run that cannot be read at start: its spans were
acknowledged, and serve cannot know them, so a resend of one of them must wait until it can."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
from clickhouse_connect.driver.exceptions import OperationalError

from tokentrace.processor import cli
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
        assert problem.endswith(f"or give its spans up: tokentrace spool discard {segment}")
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


def test_spool_discard_gives_an_unreadable_segment_up_and_serve_takes_exports_again(
    tmp_path, chdb_url, store_client, capsys
):
    # There was no command for it: serve answered 503 until the file was moved away by hand.
    sent = request(span(chat()), span(chat()))
    down = Ingest(tmp_path, _never, Pricer())
    down.send(sent)
    down.spool.close()
    down.sink.stop(0)
    (segment,) = tmp_path.glob("*.wal")
    readable = segment.read_bytes()
    segment.unlink()
    segment.symlink_to("/proc/self/mem")  # an I/O error, whoever runs the test

    url = f"{chdb_url}?database={store_client.database}"
    service = Service(_config(tmp_path, url), store_client)
    try:
        with pytest.raises(SpoolFull, match="tokentrace spool discard"):
            service.pipeline.accept(_wire(request(span(chat()))), "test")
        assert cli.main(["spool", "discard", str(segment)]) == 0
        target = tmp_path / "discarded" / segment.name
        assert capsys.readouterr().out == (
            f"tokentrace spool: moved {segment} to {target} ([Errno 5] Input/output error); its "
            "spans are given up, and serve takes exports again within a second\n"
        )
        assert target.is_symlink() and not segment.exists()
        deadline = time.monotonic() + 20  # a guard against a wait that never ends, not a speed
        while service.spool.problem and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.spool.problem == ""
        service.pipeline.accept(_wire(request(span(chat()))), "test").durable.result(timeout=10)
    finally:
        service.close()
    # gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M = $0.0035 a call; the one sent after
    assert totals(store_client) == ((1, Decimal("0.0035"), 1000),) + ((1, Decimal("0.0035")),) * 2

    # A segment that can be read is not given up: serve stores it.
    kept = tmp_path / segment.name
    kept.write_bytes(readable)
    with pytest.raises(SystemExit, match="can be read, so serve stores its spans"):
        cli.main(["spool", "discard", str(kept)])
    assert kept.read_bytes() == readable
    with pytest.raises(SystemExit, match="is not a spool segment"):
        cli.main(["spool", "discard", str(tmp_path / "stored-keys")])


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
