-- Whether a call's connection failed before its request was sent (refused, no DNS answer, a
-- connect timeout: tokentrace.request.not_sent, extract.Call.not_sent). The provider never
-- saw it, so it costs a known $0 whatever the model; ingest stored an unpriced model's such
-- call as unknown, since `tokentrace reprice` could not tell it from another source's failed
-- span with zero counts and would have undone a $0. Reprice reads this column
-- (pricer.as_stored). Rows stored before read 0, as they were stored.
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS not_sent UInt8 DEFAULT 0;
