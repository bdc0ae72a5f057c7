"""tokentrace processor: OTLP in, priced cost rows out, into ClickHouse."""
