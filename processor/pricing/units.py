"""genai-prices' usage units, compiled into integer coefficients for one price.

genai-prices prices usage by units that refine each other (``input_tokens`` ⊃
``input_audio_tokens`` ⊃ ``cache_audio_read_tokens``…). ``calc_price`` bills each priced unit
for its *leaf* count: its own count minus the leaf counts of the priced units beneath it, so a
unit without a price of its own is billed at the rate of the nearest priced unit above it.
Leaf counts are linear in the reported counts, so a price compiles into one integer
coefficient per (reported count, cost kind): pricing a call is then a few multiplications,
and equals ``calc_price`` exactly.

The counts carried (:data:`USAGE_KEYS`) are every token unit a span can report; units of
other families (web searches, pages, audio hours) are never on a span, so their count is 0
and they cost nothing, except ``requests`` (one per call).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from genai_prices.data_units import unit_data
from genai_prices.types import ModelPrice, TieredPrices

# genai-prices usage keys in the order the pricer takes them: the five counts every span has,
# then extract.USAGE_UNITS in their order.
USAGE_KEYS = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "output_reasoning_tokens",
    "cache_write_1h_tokens",
    "input_audio_tokens",
    "cache_audio_read_tokens",
    "output_audio_tokens",
    "input_image_tokens",
    "cache_image_read_tokens",
    "output_image_tokens",
    "input_video_tokens",
    "output_video_tokens",
)
INPUT, CACHE_READ, CACHE_WRITE, OUTPUT = range(4)  # cost kinds, and the first four counts
FIRST_UNIT = 5  # USAGE_KEYS[FIRST_UNIT:] are the units that refine the five counts
KINDS = ("input", "cache_read", "cache_write", "output")
_FIELD = {key: index for index, key in enumerate(USAGE_KEYS)}
_DIMENSIONS = {
    raw["price_key"]: (usage_key, frozenset(raw.get("dimensions", {}).items()))
    for usage_key, raw in unit_data.items()
}
_TOKENS = ("family", "tokens")


def kind_of(dimensions: frozenset[tuple[str, str]]) -> int:
    """The cost column a unit's cost goes to."""
    kinds = dict(dimensions)
    if kinds.get("token_type") == "cache_read":
        return CACHE_READ
    if kinds.get("token_type") == "cache_write":
        return CACHE_WRITE
    return OUTPUT if kinds.get("direction") == "output" else INPUT


def is_cache(dimensions: frozenset[tuple[str, str]]) -> bool:
    return dict(dimensions).get("token_type") in ("cache_read", "cache_write")


class Unpriceable(Exception):
    """A price that token counts cannot apply: ``reason`` is the stored unpriced reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Compiled:
    """One price as integer coefficients in units of 1e-12 / ``scale`` USD.

    ``bands[b]`` holds, for band ``b`` (band 0 below the first long-context threshold), one
    row per count that costs anything: (field, input, cache read, cache write, output,
    savings) coefficients. ``leaves`` are the leaf forms of the priced units that have more
    than one term, which must not go negative (more audio tokens than input tokens cannot be
    priced); a one-term leaf is a count, never negative, so it is not checked per call.
    """

    scale: int
    thresholds: tuple[int, ...]
    bands: tuple[tuple[tuple[int, int, int, int, int, int], ...], ...]
    leaves: tuple[tuple[tuple[int, int], ...], ...]
    request_fee: int
    priced_fields: frozenset[int]  # counts with a rate of their own
    # ``unit_bands[b]``: for band ``b``, one (unit, rate, leaf form) per unit of
    # ``USAGE_KEYS[FIRST_UNIT:]`` with a rate of its own (``unit`` counts from FIRST_UNIT).
    # The unit's cost is its rate times its leaf count: the share of its kind's cost billed
    # at that unit's rate, which the views show per unit (migration 0010).
    unit_bands: tuple[tuple[tuple[int, int, tuple[tuple[int, int], ...]], ...], ...] = ()


def priced_keys(prices: ModelPrice) -> dict[str, Decimal | TieredPrices]:
    return {
        key: value
        for key, value in prices.__dict__.items()
        if value is not None and not key.startswith("_")
    }


def compile_price(prices: ModelPrice) -> Compiled:
    """Coefficients for ``prices``; raises :class:`Unpriceable`.

    A price with no rate at all (``:free`` models, moderation) is free: priced at 0.
    """
    rates = priced_keys(prices)
    fee = rates.pop("requests_kcount", None)
    tokens: dict[str, tuple[frozenset, Decimal | TieredPrices]] = {}
    for key, rate in rates.items():
        usage_key, dimensions = _DIMENSIONS.get(key, (None, frozenset()))
        if usage_key is None or _TOKENS not in dimensions:
            continue  # per search, page, hour…: never on a span, so never billed here
        if usage_key not in _FIELD:
            if any(dimensions <= _DIMENSIONS_OF[k] for k in USAGE_KEYS):
                raise Unpriceable("no_rate", f"{key} refines counts tokentrace carries")
            continue  # a count no span reports (citations…): always 0
        tokens[usage_key] = (dimensions, rate)
    if not tokens and fee is None and rates:
        raise Unpriceable("not_per_token", "priced per hour, page or character, not per token")
    values = [v for _, rate in tokens.values() for v in _rate_values(rate)]
    extra = max([0, *(_decimals(v) - 6 for v in values), *([_decimals(fee) - 9] if fee else [])])
    tiered = [rate for _, rate in tokens.values() if isinstance(rate, TieredPrices)]
    thresholds = sorted({t.start for rate in tiered for t in rate.tiers})
    leaves = _leaf_forms(tokens)
    plain = _leaf_forms({k: v for k, v in tokens.items() if not is_cache(v[0])})
    bands = []
    unit_bands = []
    for above in (None, *thresholds):
        unit_bands.append(
            tuple(
                (field - FIRST_UNIT, int(rate_above(rate, above).scaleb(6 + extra)), leaves[key])
                for field, key, rate in sorted((_FIELD[k], k, r) for k, (_, r) in tokens.items())
                if field >= FIRST_UNIT
            )
        )
        coefficients: dict[int, list[int]] = {}
        for forms, column in ((leaves, None), (plain, 4)):
            for usage_key, form in forms.items():
                dimensions, rate = tokens[usage_key]
                scaled = int(rate_above(rate, above).scaleb(6 + extra))
                for field, times in form:
                    row = coefficients.setdefault(field, [0, 0, 0, 0, 0])
                    if column is None:
                        row[kind_of(dimensions)] += scaled * times
                        row[4] -= scaled * times
                    else:
                        row[4] += scaled * times
        bands.append(
            tuple((field, *row) for field, row in sorted(coefficients.items()) if any(row))
        )
    return Compiled(
        scale=10**extra,
        thresholds=tuple(thresholds),
        bands=tuple(bands),
        leaves=tuple(form for form in leaves.values() if len(form) > 1),
        request_fee=int(fee.scaleb(9 + extra)) if fee else 0,
        priced_fields=frozenset(_FIELD[k] for k in tokens),
        unit_bands=tuple(unit_bands) if any(unit_bands) else (),
    )


_DIMENSIONS_OF = {usage_key: dims for usage_key, dims in _DIMENSIONS.values()}


def _leaf_forms(
    tokens: dict[str, tuple[frozenset, Decimal | TieredPrices]],
) -> dict[str, tuple[tuple[int, int], ...]]:
    """Each priced unit's leaf count as (field, ±1…) terms, as genai-prices decomposes usage:
    most specific units first, each minus the leaves of the priced units beneath it."""
    order = sorted(tokens, key=lambda k: (-len(tokens[k][0]), k))
    forms: dict[str, dict[int, int]] = {}
    for key in order:
        form = {_FIELD[key]: 1}
        for other in order:
            if other != key and other in forms and tokens[key][0] <= tokens[other][0]:
                for field, times in forms[other].items():
                    form[field] = form.get(field, 0) - times
        forms[key] = {f: t for f, t in form.items() if t}
    return {key: tuple(sorted(form.items())) for key, form in forms.items()}


def rate_above(rate: Decimal | TieredPrices, above: int | None) -> Decimal:
    """The rate for calls with more than ``above`` input tokens (``calc_unit_price``'s rule);
    ``above=None`` is the base rate."""
    if not isinstance(rate, TieredPrices):
        return rate
    if above is None:
        return rate.base
    for tier in reversed(rate.tiers):
        if above + 1 > tier.start:
            return tier.price
    return rate.base


def _rate_values(rate: Decimal | TieredPrices) -> list[Decimal]:
    if isinstance(rate, TieredPrices):
        return [rate.base, *(t.price for t in rate.tiers)]
    return [rate]


def _decimals(value: Decimal) -> int:
    return max(0, -int(value.normalize().as_tuple().exponent))
