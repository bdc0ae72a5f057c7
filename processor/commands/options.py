"""Options shared by several commands, defined once so their names never drift.

It also holds the one story of *which store* a command reads or writes: ``--clickhouse
URL`` if given, else ``--store NAME`` (a named embedded store in the tokentrace data
directory: ``demo`` is the one ``tokentrace demo`` writes), else ``$TOKENTRACE_CLICKHOUSE_URL``,
else the default embedded store. Every command resolves it here, so ``demo``, ``serve``,
``report``, ``budget`` and ``migrate`` agree, and every way opening it can fail becomes one
line that names the fix.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from tokentrace.processor.store import store

# Where ``tokentrace serve`` answers by default: readers and budgets go there when serve
# holds the embedded store and left no note of its own address.
DEFAULT_API = "http://127.0.0.1:4318"
DEMO_STORE = "demo"
# Written by ``tokentrace serve`` into the embedded store it holds: its pid and API URL,
# so a reader that finds the store locked knows where to ask instead.
SERVE_NOTE = "tokentrace-serve.json"


ENV_API_URL = "TOKENTRACE_API_URL"


def http_url(what: str, example: str) -> Callable[[str], str]:
    """An argparse type for an ``http(s)://HOST[:PORT]`` option: a URL that cannot name
    ``what`` is refused while the arguments are parsed, with the fix, rather than failing as a
    traceback at the first request (``notaurl``, ``http://[::1``), as a confusing message from
    the HTTP library, or as an unanswered ``ftp://`` address."""

    def parse(text: str) -> str:
        try:
            url = urllib.parse.urlsplit(text)
            usable = url.scheme in ("http", "https") and bool(url.hostname) and url.port != 0
        except ValueError:  # a port out of range, a broken IPv6 host
            usable = False
        if not usable:
            raise argparse.ArgumentTypeError(
                f"not the URL of {what}: {text!r}; give http://HOST:PORT, e.g. {example}"
            )
        return text

    return parse


_api_url = http_url("a tokentrace serve", f"{DEFAULT_API} (--api or ${ENV_API_URL})")


def add_api_option(parser: argparse.ArgumentParser, purpose: str) -> None:
    """``--api URL`` (env ``TOKENTRACE_API_URL``): go through a running ``tokentrace serve``."""
    parser.add_argument(
        "--api",
        metavar="URL",
        type=_api_url,
        default=os.environ.get(ENV_API_URL),
        help=f"{purpose} a running tokentrace serve (env TOKENTRACE_API_URL); automatic "
        "when serve holds the embedded store",
    )


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """``--clickhouse URL`` (env ``TOKENTRACE_CLICKHOUSE_URL``), ``--store NAME`` and
    ``--cluster NAME``."""
    parser.add_argument(
        "--clickhouse",
        metavar="URL",
        default=None,
        help=f"chdb:///path (embedded) or http(s)://user:pass@host:8123/db "
        f"(default: ${store.ENV_URL} or chdb://{store.default_data_dir()})",
    )
    parser.add_argument(
        "--store",
        metavar="NAME",
        type=_store_name,
        default=None,
        help=f"a named embedded store in {data_home()}; '{DEMO_STORE}' is the one "
        "`tokentrace demo` writes",
    )
    parser.add_argument(
        "--cluster",
        metavar="NAME",
        type=_cluster_name,
        default=None,
        help="emit ON CLUSTER DDL with Replicated engines for a ClickHouse cluster",
    )


# ---------------------------------------------------------------- which store


def data_home() -> Path:
    """The tokentrace data directory: the default store, named stores, the spool."""
    return store.default_data_dir().parent


def _cluster_name(text: str) -> str:
    """A cluster name ClickHouse's DDL can take (``store.quote_identifier``'s rule), checked
    while parsing: ``--cluster "bad name"`` was a ValueError traceback from the migrations."""
    try:
        store.quote_identifier(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid cluster name {text!r}: use letters, digits and _, not starting with a digit"
        ) from None
    return text


def _store_name(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", text):
        raise argparse.ArgumentTypeError(f"invalid store name {text!r}: use letters, digits, -_.")
    return text


def named_store_path(name: str) -> Path:
    """``default`` is the default embedded store; any other name a store beside it."""
    return store.default_data_dir() if name == "default" else data_home() / name / "chdb"


def store_url(args: argparse.Namespace) -> str:
    """The store this command uses: --clickhouse, else --store, else the default."""
    if getattr(args, "clickhouse", None):
        return args.clickhouse
    if getattr(args, "store", None):
        return f"chdb://{named_store_path(args.store)}"
    return store.default_url()


def store_flag(url: str) -> str:
    """The shortest flags that name ``url`` on a command line ('' for the default)."""
    if url == store.default_url():
        return ""
    for name, path in known_stores():
        if url == f"chdb://{path}":
            return f"--store {name}"
    return f"--clickhouse {url}"


def command_line(command: str, url: str) -> str:
    """``tokentrace COMMAND`` with the flags that name the store at ``url``."""
    flags = store_flag(url)
    return f"tokentrace {command} {flags}" if flags else f"tokentrace {command}"


def known_stores() -> list[tuple[str, Path]]:
    """The embedded stores in the data directory: the default, then the named ones."""
    found = [("default", store.default_data_dir())]
    home = data_home()
    if home.is_dir():
        found += sorted(
            (entry.name, entry / "chdb")
            for entry in home.iterdir()
            if (entry / "chdb" / "metadata").is_dir()
        )
    return found


_PART = re.compile(r"\w+?_\d+_\d+_\d+(_\d+)?")


def has_calls(path: Path, database: str = "default") -> bool:
    """Whether an embedded store (not opened: chDB allows one per process) holds any call:
    ``llm_calls`` has a data part (``<partition>_<min>_<max>_<level>``) on disk."""
    table = path / "data" / database / "llm_calls"
    try:
        return any(_PART.fullmatch(entry.name) and entry.is_dir() for entry in table.iterdir())
    except OSError:
        return False


def other_store_hint(command: str, url: str) -> str:
    """'; the demo store has calls: tokentrace report --store demo' — or '' if none has."""
    for name, path in known_stores():
        if f"chdb://{path}" != url and has_calls(path):
            flag = "" if name == "default" else f" --store {name}"
            return f"; the {name} store has calls: tokentrace {command}{flag}"
    return ""


# ---------------------------------------------------------------- who holds a store


@dataclass(frozen=True)
class Holder:
    """The process holding an embedded store, and the API of the serve it is (if known)."""

    pid: int | None
    api: str | None

    def describe(self) -> str:
        pid = f"pid {self.pid}" if self.pid else "pid unknown"
        return f"tokentrace serve ({pid}, API {self.api})" if self.api else f"process ({pid})"


class StoreHeld(Exception):
    """The embedded store is held by another process: go through its serve API."""

    def __init__(self, path: str, holder: Holder) -> None:
        super().__init__(path)
        self.path = path
        self.holder = holder

    @property
    def api(self) -> str:
        return self.holder.api or DEFAULT_API


def held_by_another_process(path: Path) -> bool:
    """ClickHouse holds an exclusive flock on ``status`` in its data directory while it runs."""
    try:
        fd = os.open(path / "status", os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def holder_of(path: Path) -> Holder | None:
    """Who holds the store at ``path``: serve's note if it is alive, else the pid ClickHouse
    wrote in ``status``; None when nobody does, or this very process does (its engine
    serves this process's queries)."""
    if not held_by_another_process(path):
        return None
    try:
        match = re.search(r"PID: (\d+)", (path / "status").read_text())
    except OSError:
        match = None
    pid = int(match[1]) if match else None
    if pid == os.getpid():
        return None
    try:
        note = json.loads((path / SERVE_NOTE).read_text())
        os.kill(int(note["pid"]), 0)
        return Holder(int(note["pid"]), str(note["api"]))
    except (OSError, ValueError, KeyError, TypeError):
        return Holder(pid, None)


def note_serve(path: Path, api: str) -> Path | None:
    """Leave serve's pid and API URL in the store it holds (removed when it stops).

    None when it cannot be written (the store's disk is full): the note only tells readers
    where serve's API is, and serve must start anyway, to spool what it is sent.
    """
    note = path / SERVE_NOTE
    try:
        note.write_text(json.dumps({"pid": os.getpid(), "api": api}))
    except OSError as exc:
        with contextlib.suppress(OSError):
            note.unlink(missing_ok=True)  # not a half-written note
        print(f"tokentrace serve: cannot write {note} ({exc.strerror or exc}); other commands "
              "will not find this serve's API there", file=sys.stderr, flush=True)  # fmt: skip
        return None
    return note


# ---------------------------------------------------------------- opening


def _fail(args: argparse.Namespace, message: str) -> SystemExit:
    return SystemExit(f"tokentrace {args.command}: {message}")


def connect_or_defer(args: argparse.Namespace, create: bool = True) -> Client:
    """Open the store; raise :class:`StoreHeld` when another process (a running
    ``tokentrace serve``) holds the embedded store, so the caller can use serve's API.

    ``create=False`` (readers): a store that does not exist, or has no tables, is an error
    naming the fix, and nothing is created. Every other failure is one line too."""
    url = store_url(args)
    try:
        parsed = store.StoreURL.parse(url)
    except ValueError as exc:
        raise _fail(args, str(exc)) from None
    if parsed.embedded:
        path = Path(parsed.path)
        holder = holder_of(path)
        if holder is not None:
            raise StoreHeld(parsed.path, holder)
        if not create and not (path / "metadata").is_dir():
            raise _fail(
                args,
                f"no store at {url} (nothing was ever stored there): check the path, or "
                f"start `{command_line('serve', url)}`" + other_store_hint(args.command, url),
            )
    try:
        client = store.connect(url, create_database=create)
        behind = False if create else _migrations_behind(client)
    except (ClickHouseError, OSError, LookupError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _fail(args, f"cannot open the store {url}: {first}") from None
    if behind is None:
        raise _fail(
            args,
            f"the store {url} has no tables yet: run `{command_line('migrate', url)}` "
            "(or start tokentrace serve on it)",
        )
    if behind:
        raise _fail(
            args,
            f"the store {url} predates this tokentrace's schema: run "
            f"`{command_line('migrate', url)}` (or restart tokentrace serve on it)",
        )
    return client


def _migrations_behind(client: Client) -> bool | None:
    """None when the store has no schema at all; else whether migrations are missing."""
    if not client.command("EXISTS TABLE schema_migrations"):
        return None
    applied = {row[0] for row in client.query("SELECT version FROM schema_migrations").result_rows}
    if not applied:
        return None
    return any(m.version not in applied for m in store.load_migrations())


def connect_store(args: argparse.Namespace, why: str = "stop it first") -> Client:
    """Open the store named by ``--clickhouse``/``--store``; exit with one line naming the
    serve that holds it when it is held (one process per chDB path)."""
    try:
        return connect_or_defer(args)
    except StoreHeld as exc:
        raise _fail(args, held_message(exc, why)) from None


def held_message(exc: StoreHeld, fix: str) -> str:
    return f"the embedded store {exc.path} is in use by {exc.holder.describe()}; {fix}"


def parse_datetime(text: str) -> datetime:
    """An ``argparse`` type: ``2026-11-02`` or an ISO 8601 time (naive = UTC), made aware."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid date {text!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+00:00]"
        ) from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
