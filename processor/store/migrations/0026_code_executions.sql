-- The calls that ran a provider's code execution container (OpenAI Responses'
-- `code_interpreter_call` output items; an Anthropic answer naming its `container`),
-- tokentrace.usage.code_executions, genai-prices' unit name. Containers are billed by their
-- time (OpenAI per minute of a session, 5 minutes at least; Anthropic per container hour past
-- a monthly free allowance), a session shared by calls: such a call's cost is unknown. Kept
-- on each call so that `tokentrace reprice` leaves it unknown; rows stored before read 0, as
-- they were stored (priced on their tokens alone).
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS code_executions UInt64 DEFAULT 0;
