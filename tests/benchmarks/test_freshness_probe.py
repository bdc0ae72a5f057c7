"""The freshness benchmark's probe: one span in through OTLP, seen through serve's API."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from benchmarks.load import bench_module
from tokentrace.processor.demo.serve_process import ServeProcess

freshness = bench_module("freshness")


@pytest.mark.slow
def test_probe_sees_its_own_call_priced(tmp_path: Path) -> None:
    with ServeProcess(
        f"chdb://{tmp_path / 'store'}", tmp_path / "spool", tmp_path / "log"
    ) as serve:
        seconds = [freshness.probe(serve.url, f"probe-{n}") for n in range(2)]
        with urllib.request.urlopen(f"{serve.url}/api/v1/views/top_calls?tenant=probe-1") as reply:
            rows = json.load(reply)["rows"]
    assert all(0 < s < freshness.GIVE_UP_S for s in seconds)
    assert len(rows) == 1
    # claude-haiku-4-5: 1,200 input tokens at $1/M, 300 output tokens at $5/M
    assert rows[0]["cost"] == "0.002700000000"
    assert rows[0]["tenant"] == "probe-1"
