"""genai-prices' bundled data as the JSON data file its updater fetches, with one price
changed: what a local mirror serves in the ``serve --prices-update`` tests."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, time
from decimal import Decimal
from typing import Any

from genai_prices.data import providers as bundled
from genai_prices.types import ModelPrice

HAIKU = "claude-3-5-haiku-latest"  # bundled: input $0.80, output $4 per million tokens


def raw(value: Any) -> Any:
    """genai-prices data as its JSON data file has it (round-trips exactly, see below)."""
    if isinstance(value, ModelPrice):
        return {k: raw(v) for k, v in value.__dict__.items() if v is not None and k[0] != "_"}
    if dataclasses.is_dataclass(value):
        return {
            f.name.rstrip("_"): raw(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.startswith("_") and getattr(value, f.name) is not None
        }
    if isinstance(value, list | tuple):
        return [raw(v) for v in value]
    if isinstance(value, dict):
        return {k: raw(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | time):
        return value.isoformat()
    return value


def data_file(output_mtok: str) -> bytes:
    """The bundled data file with Claude 3.5 Haiku's output rate set to ``output_mtok``."""
    data = raw(bundled)
    anthropic = next(p for p in data if p["id"] == "anthropic")
    haiku = next(m for m in anthropic["models"] if m["id"] == HAIKU)
    assert haiku["prices"]["output_mtok"] == "4"
    haiku["prices"]["output_mtok"] = output_mtok
    return json.dumps(data).encode()
