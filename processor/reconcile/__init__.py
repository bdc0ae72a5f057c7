"""Reconciliation: the providers' organisation usage and cost reports against metered cost.

``openai_reports`` and ``anthropic_reports`` speak the admin APIs (through ``http``'s retrying
client), ``store_days`` writes a report so that re-importing a day replaces it, ``run`` picks
providers and days, ``schedule`` repeats it hourly inside ``tokentrace serve``. The diff
itself is SQL: the reconciliation views in ``processor/store/views.py``.
"""
