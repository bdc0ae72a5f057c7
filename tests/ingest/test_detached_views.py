"""A rollup view left detached (a reload after migrating cut between DETACH and ATTACH) is
attached again at the next connect's migrate, on real chDB."""

from __future__ import annotations

from tokentrace.processor.store import store


def test_a_detached_rollup_view_is_attached_again_by_migrate(store_client):
    # store.reload_views detaches and attaches each view once after migrating, on a ClickHouse
    # server too: a connection lost between the two left the view detached, and every later
    # insert out of that rollup, silently (llm_cost_hourly 0 of 3 requests).
    store_client.command("DETACH TABLE llm_cost_hourly_mv")
    assert store.migrate(store_client) == []
    store_client.command(
        "INSERT INTO llm_calls (trace_id, span_id, ts, provider, model) "
        "SELECT toString(number), toString(number), now64(6), 'openai', 'gpt-4o' "
        "FROM numbers(3)"
    )
    counts = [
        store_client.command(f"SELECT sum(requests) FROM {table}")
        for table in ("llm_cost_hourly", "llm_cost_daily")
    ]
    assert counts == [3, 3]
