"""The extractor: OTLP spans into one usage record per LLM call, deduplicated and tagged."""
