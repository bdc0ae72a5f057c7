"""When the sink may retry a refused insert under its token on a ClickHouse server
(``view_tokens``), read from a real chDB store."""

from __future__ import annotations

from tokentrace.processor.store import view_tokens


def test_the_token_is_kept_unless_the_server_moved_after_a_view_was_altered(store_client):
    now = view_tokens.epoch(store_client)
    assert view_tokens.view_migrations() == (5, 10, 17, 34)  # ALTER TABLE … MODIFY QUERY
    assert not view_tokens.moved(store_client, now)  # the same process, no migration since
    assert view_tokens.moved(store_client, None)  # nothing known of the refusing process
    # The refusal an hour before this process started (a restart), the views altered in this
    # one's life (its migrations just ran): the blocks' view ids may differ, look rows up.
    earlier = (now[0] - 3600, now[1])
    assert view_tokens.moved(store_client, earlier)
    # Every migration applied two days before either process started: both loaded the views
    # from disk, the token is skipped where it was taken, and the retry completes the rollups.
    store_client.command(
        "ALTER TABLE schema_migrations UPDATE applied_at = applied_at - INTERVAL 2 DAY WHERE 1",
        settings={"mutations_sync": 2},
    )
    assert not view_tokens.moved(store_client, earlier)
    # A migration recorded since the refusal (another serve's upgrade) that alters no view.
    assert not view_tokens.moved(store_client, (now[0], now[1] - 1))
