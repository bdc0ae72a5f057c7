"""deploy/prices.yaml, mounted into the processor, loads with the processor's own loader."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from deploy_files import DEPLOY

from tokentrace.processor.pricing.overrides import load_overrides

PRICES = DEPLOY / "prices.yaml"


def test_shipped_prices_file_is_valid_and_overrides_nothing() -> None:
    assert load_overrides(PRICES).entries == ()


def test_commented_example_is_a_valid_prices_file(tmp_path: Path) -> None:
    # Uncommenting the example is how users start: it must load as written.
    lines = PRICES.read_text().splitlines()
    start = lines.index("# prices:")
    example = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        example.append(line.removeprefix("# "))
    path = tmp_path / "prices.yaml"
    path.write_text("\n".join(example) + "\n")
    entries = {entry.model: entry for entry in load_overrides(path).entries}
    assert set(entries) == {"gpt-4o", "ft:gpt-4o-mini"}
    (period,) = entries["gpt-4o"].periods
    assert period.prices.input_mtok == Decimal("2.25")
    assert period.prices.output_mtok == Decimal("9")
    assert entries["ft:gpt-4o-mini"].prefix
