"""``tokentrace grafana``: generate the provisioning files, or push them to a Grafana.

``generate [--out DIR] [--check]`` rewrites the committed files under
``grafana/provisioning`` from the code (``--check``: only report, exit 1 if they would
change). ``provision --url URL [--token T]`` creates or updates the same objects in a
running Grafana and says what it created, updated or left unchanged.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tokentrace.processor.commands.options import http_url
from tokentrace.processor.store import store

GRAFANA_TOKEN_ENV = "GRAFANA_TOKEN"


def register(subparsers: argparse._SubParsersAction) -> None:
    try:
        from tokentrace.grafana import alerts, generate
    except ValueError as exc:  # a reconciliation alert threshold that is not a number
        raise SystemExit(f"tokentrace grafana: {exc}") from None

    parser = subparsers.add_parser("grafana", help="Grafana dashboards and alert rules")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    gen = actions.add_parser("generate", help="write the provisioning files from the code")
    gen.add_argument(
        "--out",
        type=Path,
        default=generate.DEFAULT_DIR,
        metavar="DIR",
        help=f"provisioning directory (default: {generate.DEFAULT_DIR})",
    )
    gen.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if files would change"
    )
    gen.set_defaults(func=run_generate)

    push = actions.add_parser("provision", help="push data source, dashboards and alerts")
    push.add_argument(
        "--url",
        required=True,
        type=http_url("a Grafana", "http://admin:admin@localhost:3000"),
        help="Grafana URL, e.g. http://admin:admin@localhost:3000",
    )
    push.add_argument(
        "--token",
        default=os.environ.get(GRAFANA_TOKEN_ENV),
        help=f"service account token (default: ${GRAFANA_TOKEN_ENV})",
    )
    push.add_argument(
        "--clickhouse",
        metavar="URL",
        default=os.environ.get(store.ENV_URL),
        help=f"ClickHouse server the data source reads, http(s)://user:pass@host:8123/db "
        f"(default: ${store.ENV_URL}; without it the data source is left alone)",
    )
    push.add_argument(
        "--webhook-url",
        type=http_url(
            "a webhook",
            f"https://hooks.example.com/llm-cost (--webhook-url or ${alerts.WEBHOOK_ENV})",
        ),
        default=os.environ.get(alerts.WEBHOOK_ENV),
        help=f"where alerts are posted (default: ${alerts.WEBHOOK_ENV}; without it the "
        "contact point and route are left alone)",
    )
    push.set_defaults(func=run_provision)


def run_generate(args: argparse.Namespace) -> int:
    from tokentrace.grafana import generate

    if args.check:
        stale = generate.differences(args.out)
        for name in stale:
            print(f"would change: {args.out / name}")
        if stale:
            print("run `tokentrace grafana generate` and commit the result", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    written = generate.write(args.out)
    for name in written:
        print(f"wrote {args.out / name}")
    if not written:
        print(f"{args.out} is up to date")
    return 0


def run_provision(args: argparse.Namespace) -> int:
    from grafana_client import GrafanaApi
    from grafana_client.client import GrafanaException

    from tokentrace.grafana.provision import provision

    clickhouse = args.clickhouse
    if clickhouse and clickhouse.startswith("chdb:"):
        print(
            f"tokentrace grafana: {clickhouse} is the embedded store, which Grafana reads "
            "through tokentrace serve's ClickHouse HTTP interface; the data source is left "
            "alone (pass --clickhouse http://default:$TOKENTRACE_AUTH_TOKEN@SERVE_HOST:8123/default)",
            file=sys.stderr,
        )
        clickhouse = None
    api = GrafanaApi.from_url(args.url, credential=args.token)
    try:
        outcomes = provision(api, clickhouse_url=clickhouse, webhook_url=args.webhook_url)
    except (GrafanaException, ValueError) as error:
        print(f"tokentrace grafana: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"tokentrace grafana: cannot reach {args.url}: {error}", file=sys.stderr)
        return 1
    for outcome in outcomes:
        print(outcome)
    return 0
