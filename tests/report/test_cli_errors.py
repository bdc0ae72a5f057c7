"""Every way ``tokentrace report`` (and its neighbours) can fail is one line naming the fix.

In-process cases run ``main()`` on the session's chDB engine; the ones that need a second
store, a running serve or a closed pipe run the real CLI in subprocesses (chDB opens one
data directory per process).
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tokentrace.processor.cli import main

CLI = [sys.executable, "-m", "tokentrace.processor.cli"]


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def _url(client, chdb_url: str) -> str:
    return f"{chdb_url}?database={client.database}"


def _seed_one_call(client) -> None:
    client.insert(
        "llm_calls",
        [["2026-11-20 10:00:00", "t1", "openai", "gpt-4o", "growth", Decimal("0.5")]],
        column_names=["ts", "trace_id", "provider", "model", "team", "cost"],
    )


def test_unwritable_output_is_one_line_before_any_query(capsys, tmp_path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["report", "-o", str(tmp_path / "missing" / "x.html"), "--format", "html"])
    assert str(exit_.value) == (
        f"tokentrace report: cannot write -o {tmp_path / 'missing' / 'x.html'}: "
        f"folder {tmp_path / 'missing'} does not exist; pick another path"
    )
    with pytest.raises(SystemExit, match="is a directory; pick another path"):
        main(["report", "-o", str(tmp_path)])


def test_a_bad_store_url_is_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--clickhouse", "chdb:/"])
    assert str(exit_.value).startswith("tokentrace report: chdb URL needs a data directory")
    with pytest.raises(SystemExit, match="unsupported ClickHouse URL 'postgres://x'"):
        main(["report", "--clickhouse", "postgres://x"])


def test_an_uninitialised_store_names_migrate(store_client, chdb_url) -> None:
    store_client.command("CREATE DATABASE IF NOT EXISTS bare")
    url = f"{chdb_url}?database=bare"
    try:
        with pytest.raises(SystemExit) as exit_:
            main(["report", "--clickhouse", url])
    finally:
        store_client.command("DROP DATABASE bare")
    assert str(exit_.value) == (
        f"tokentrace report: the store {url} has no tables yet: run "
        f"`tokentrace migrate --clickhouse {url}` (or start tokentrace serve on it)"
    )


def test_html_without_output_goes_to_stdout(store_client, chdb_url, capsys, tmp_path) -> None:
    _seed_one_call(store_client)
    os.chdir(tmp_path)
    assert main(["report", "--clickhouse", _url(store_client, chdb_url), "--format", "html",
                 "--from", "2026-11-01", "--to", "2026-11-30"]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert captured.out.startswith("<!doctype html>") and captured.err == ""
    assert list(tmp_path.iterdir()) == []  # no ./report.html


def test_a_filter_value_that_matches_nothing_lists_the_known_ones_nearest_first(
    store_client, chdb_url, capsys
) -> None:
    _seed_one_call(store_client)
    store_client.insert(
        "llm_calls",
        [["2026-11-20 10:00:00", f"t{team}", team] for team in ("platform", "grower", "support")],
        column_names=["ts", "trace_id", "team"],
    )
    url = _url(store_client, chdb_url)
    assert main(["report", "--clickhouse", url, "--where", "team=grwoth"]) == 1
    assert _one_line(capsys.readouterr().err) == (
        "tokentrace report: no calls with team=grwoth; known team values, nearest first: "
        "growth, grower, support, platform"
    )
    assert main(["report", "--clickhouse", url, "--where", "user=bob", "--format", "json"]) == 1
    assert _one_line(capsys.readouterr().err) == (
        "tokentrace report: no calls with user=bob: the store has no user values at all"
    )


@pytest.mark.slow
def test_store_missing_empty_held_and_broken_pipe(tmp_path: Path) -> None:
    """The first hour, as a new user meets it: the demo's store, the default one, a serve."""
    from tokentrace.processor.demo.serve_process import ServeProcess

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg"), "COLUMNS": "100"}
    env.pop("TOKENTRACE_CLICKHOUSE_URL", None)
    env.pop("TOKENTRACE_API_URL", None)
    home = tmp_path / "xdg" / "tokentrace"
    demo = home / "demo" / "chdb"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path
        )

    seed = subprocess.run(
        [sys.executable, "-c", SEED, f"chdb://{demo}"], env=env, capture_output=True, text=True
    )
    assert seed.returncode == 0, seed.stderr

    # The default store does not exist: one line, nothing created, the demo store named.
    missing = cli("report")
    assert missing.returncode == 1 and missing.stdout == ""
    assert _one_line(missing.stderr) == (
        f"tokentrace report: no store at chdb://{home / 'chdb'} (nothing was ever stored "
        "there): check the path, or start `tokentrace serve`; the demo store has calls: "
        "tokentrace report --store demo"
    )
    typo = cli("report", "--clickhouse", f"chdb://{tmp_path / 'typo'}")
    assert typo.returncode == 1 and "no store at" in _one_line(typo.stderr)
    assert not (home / "chdb").exists() and not (tmp_path / "typo").exists()

    # An empty default store says where the calls are, and still prints its (empty) report.
    assert cli("migrate").returncode == 0
    empty = cli("report", "--format", "json")
    assert empty.returncode == 0 and '"requests": 0' in empty.stdout
    assert _one_line(empty.stderr) == (
        f"tokentrace report: the store chdb://{home / 'chdb'} has no calls yet; the demo "
        "store has calls: tokentrace report --store demo"
    )

    # A reader that has gone (`report | head -1`, head already done): no traceback. The pipe
    # is closed before the report starts writing, so every format meets it closed.
    for format_ in ("text", "json", "html"):
        piped = subprocess.Popen(
            [*CLI, "report", "--store", "demo", "--from", "2026-11-01", "--to", "2026-11-30",
             "--format", format_],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
        )  # fmt: skip
        piped.stdout.close()
        assert piped.wait(timeout=120) == 1
        assert piped.stderr.read() == ""

    # A serve on another port holds the demo store: readers go through it silently; the
    # commands that cannot, say who holds it and what to do.
    with ServeProcess(f"chdb://{demo}", tmp_path / "spool", tmp_path / "serve.log") as serve:
        held = cli("report", "--store", "demo", "--format", "json", "--since", "3650d")
        assert held.returncode == 0 and held.stderr == ""
        assert '"requests": 1' in held.stdout
        budgets = cli("budget", "list", "--store", "demo")
        assert budgets.returncode == 0 and budgets.stderr == ""
        pid = serve._process.pid
        migrate = cli("migrate", "--store", "demo")
        assert migrate.returncode == 1
        assert _one_line(migrate.stderr) == (
            f"tokentrace migrate: the embedded store {demo} is in use by tokentrace serve "
            f"(pid {pid}, API {serve.url}); it applied the migrations when it started: stop "
            "it to run migrate again"
        )
        second = cli("serve", "--store", "demo", "--http-port", "0")
        assert second.returncode == 1
        assert f"(pid {pid}, API {serve.url}); stop it first" in _one_line(second.stderr)
    assert not (demo / "tokentrace-serve.json").exists()


# Seeds one call into a fresh embedded store, as serve would have.
SEED = """
import sys
from decimal import Decimal
from tokentrace.processor.store import store
client = store.connect(sys.argv[1])
store.migrate(client)
client.insert("llm_calls", [["2026-11-20 10:00:00", "t1", "growth", Decimal("0.5")]],
              column_names=["ts", "trace_id", "team", "cost"])
"""


@pytest.mark.parametrize("url", ["notaurl", "ftp://x", "http://", "http://[::1", "http://h:99999"])
@pytest.mark.parametrize("command", [["report"], ["budget", "list"], ["dead-letters", "list"]])
def test_an_api_url_that_names_no_serve_is_one_line(
    capsys, monkeypatch, url: str, command: list[str]
) -> None:
    """``--api`` and ``$TOKENTRACE_API_URL`` are checked while the arguments are parsed: a URL
    that cannot name a serve was a ValueError traceback at the first request (``notaurl``,
    ``http://[::1``) or "no serve answers" for an ``ftp://`` address."""
    said = (
        f"argument --api: not the URL of a tokentrace serve: {url!r}; give http://HOST:PORT, "
        "e.g. http://127.0.0.1:4318 (--api or $TOKENTRACE_API_URL)"
    )

    def refused(args: list[str]) -> None:
        with pytest.raises(SystemExit) as exit_:
            main(args)
        err = capsys.readouterr().err  # argparse's usage, then the one line
        assert exit_.value.code == 2, err
        assert "Traceback" not in err and err.strip().splitlines()[-1].endswith(said), err

    refused([*command, "--api", url])
    monkeypatch.setenv("TOKENTRACE_API_URL", url)
    refused(command)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["migrate", "--clickhouse", "chdb:///nowhere/x?database=bad-name"],
         "tokentrace migrate: invalid database 'bad-name' in 'chdb:///nowhere/x?database=bad-name'"
         ": use letters, digits and _, e.g. ?database=tokentrace"),
        (["report", "--clickhouse", "http://u:p@127.0.0.1:1/a.b"],
         "tokentrace report: invalid database 'a.b' in 'http://u:p@127.0.0.1:1/a.b': use letters, "
         "digits and _, e.g. ?database=tokentrace"),
    ],
)  # fmt: skip
def test_a_database_name_no_store_can_have_is_one_line(capsys, args, said) -> None:
    """Checked where the store URL is parsed, for every command and both backends: `migrate`
    with ``?database=bad-name`` was a ValueError traceback from the DDL's quoting."""
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert str(exit_.value) == said


def test_a_cluster_name_ddl_cannot_take_is_refused_while_parsing(capsys) -> None:
    """``--cluster "bad name"`` was a ValueError traceback from the migrations."""
    with pytest.raises(SystemExit) as exit_:
        main(["migrate", "--clickhouse", "chdb:///nowhere/x", "--cluster", "bad name"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "tokentrace migrate: error: argument --cluster: invalid cluster name 'bad name': use "
        "letters, digits and _, not starting with a digit"
    )
