"""``tokentrace demo``: a realistic workload through the real pipeline, then the report."""
