"""Print a stopped ``serve``'s rows and rollup totals as JSON (run as a script)."""

from __future__ import annotations

import json
import sys

from tokentrace.processor.store import store


def main(url: str) -> None:
    client = store.connect(url)
    calls = client.query(
        "SELECT trace_id, span_id, response_id, provider, model, service, team, tenant, "
        "input_tokens, output_tokens, toString(cost) AS cost, priced, tags FROM llm_calls"
    )
    rollups = {
        table: [str(v) for v in client.query(
            f"SELECT sum(requests), sum(cost), sum(input_tokens) FROM {table}"
        ).result_rows[0]]
        for table in ("llm_cost_hourly", "llm_cost_daily")
    }  # fmt: skip
    rows = [dict(zip(calls.column_names, row, strict=True)) for row in calls.result_rows]
    json.dump({"calls": rows, **rollups}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
