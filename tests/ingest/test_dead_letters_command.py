"""``tokentrace dead-letters list|replay`` on a real store, and its API on a real serve."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tokentrace.processor.cli import main
from tokentrace.processor.extract.extractor import COLUMNS
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.store import dead_letters

from .otlp import chat, extract_request, request, span
from .serve_process import ServeProcess


def a_row() -> dict:
    call = extract_request(request(span(chat(tenant="acme")))).calls[0]
    price = Pricer().price(call.provider, call.response_model, call.timestamp,
                           call.input_tokens, call.output_tokens, call.cache_read_tokens,
                           call.cache_write_tokens, call.service_tier)  # fmt: skip
    return dict(zip(COLUMNS, call.row(price), strict=True))


def test_list_then_replay_from_the_command_line(store_client, chdb_url, capsys):
    good, bad = a_row(), {**a_row(), "tenant": "x\udcff"}
    dead_letters.add(
        store_client, [("seg-1/3", "INCORRECT_DATA: once", good), ("seg-1/7", "surrogates", bad)]
    )
    url = f"{chdb_url}?database={store_client.database}"

    assert main(["dead-letters", "list", "--clickhouse", url, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(item["id"], item["reason"], item["replayed"]) for item in listed] == [
        ("seg-1/3", "INCORRECT_DATA: once", False),
        ("seg-1/7", "surrogates", False),
    ]
    assert listed[1]["row"]["tenant"] == "x\udcff"

    assert main(["dead-letters", "replay", "--clickhouse", url]) == 1  # one still refused
    out = capsys.readouterr().out
    assert "replayed 1 row(s)" in out and "still refused: seg-1/7: cannot encode the row" in out
    assert main(["dead-letters", "replay", "seg-1/3", "--clickhouse", url]) == 0
    # an id no dead letter has (a typo) is said, exit 1; was "replayed 0 row(s)", exit 0
    assert main(["dead-letters", "replay", "seg-1/9", "--clickhouse", url]) == 1
    assert capsys.readouterr().err == (
        "tokentrace dead-letters: no dead letter seg-1/9: `tokentrace dead-letters list --all` "
        "shows their ids\n"
    )
    # the JSON names it (`unknown`); one replayed before (seg-1/3) is known
    assert main(["dead-letters", "replay", "seg-1/9", "seg-1/3", "seg-1/9", "--clickhouse", url,
                 "--format", "json"]) == 1  # fmt: skip
    assert json.loads(capsys.readouterr().out) == {
        "stored": [],
        "failed": [],
        "unknown": ["seg-1/9"],
    }
    stored = store_client.query("SELECT tenant, trace_id FROM llm_calls").result_rows
    assert stored == [("acme", good["trace_id"])]  # replayed twice, stored once

    assert main(["dead-letters", "list", "--clickhouse", url]) == 0
    text = capsys.readouterr().out
    assert "seg-1/7" in text and "seg-1/3" not in text
    assert main(["dead-letters", "list", "--all", "--clickhouse", url]) == 0
    assert "seg-1/3" in capsys.readouterr().out


@pytest.mark.slow
def test_the_command_goes_through_serve_while_it_holds_the_store(tmp_path):
    server = ServeProcess(tmp_path).start()
    try:
        command = [sys.executable, "-m", "tokentrace.processor.cli", "dead-letters"]
        store_args = ["--clickhouse", server.store_url, "--api", server.url]
        listed = subprocess.run(
            [*command, "list", "--format", "json", *store_args],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        assert json.loads(listed.stdout) == []
        replayed = subprocess.run(
            [*command, "replay", *store_args], capture_output=True, text=True, timeout=120
        )
        assert (replayed.returncode, replayed.stdout) == (0, "replayed 0 row(s) into llm_calls\n")
        typo = subprocess.run(
            [*command, "replay", "seg-9/9", "--format", "json", *store_args],
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip  (serve's POST /api/v1/dead-letters/replay answer, as it stands)
        assert (typo.returncode, json.loads(typo.stdout)) == (
            1,
            {"stored": [], "failed": [], "unknown": ["seg-9/9"]},
        )
        status, body = server.get("/api/v1/dead-letters?limit=0")
        assert status == 400 and b"limit" in body
    finally:
        assert server.stop() == 0
