"""tokentrace instrumentation: one GenAI span per LLM API call."""
