"""genai-prices' usage units, compiled into integer coefficients for one price.

genai-prices prices usage by units that refine each other (``input_tokens`` ⊃
``input_audio_tokens`` ⊃ ``cache_audio_read_tokens``…). ``calc_price`` bills each priced unit
for its *leaf* count: its own count minus the leaf counts of the priced units beneath it, so a
unit without a price of its own is billed at the rate of the nearest priced unit above it.
Leaf counts are linear in the reported counts, so a price compiles into one integer
coefficient per (reported count, cost kind): pricing a call is then a few multiplications,
and equals ``calc_price`` exactly.

The counts carried (:data:`USAGE_KEYS`) are every token unit a span can report, then the
units of other families a span can report (:data:`METERED_KEYS`: characters of text to speech,
seconds of audio transcribed, web searches, rerank search units, and tokentrace's own
``preview_web_searches``, a refinement of web searches that no price has a rate for), each
priced per ``unit_data[key]["per"]`` of its own (per million characters, per hour, per thousand
searches). Units no span reports (code executions…) have a count of 0 and cost nothing, except
``requests`` (one per call).
A count no priced unit at or above it can bill (a web search on a model without a search fee,
characters alone sent to a model priced per token, tokens to one priced per character) makes
the call unpriced, never $0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

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
    # extract.METERED_UNITS in their order, with ``audio_seconds`` (every second of audio, the
    # parent unit of input_audio_seconds) equal to input_audio_seconds: no span reports
    # output audio seconds.
    "input_characters",
    "audio_seconds",
    "input_audio_seconds",
    "web_searches",
    "input_document_pages",
    "input_annotated_document_pages",
    "preview_web_searches",
    "output_images",
    "storage_searches",
    "code_executions",
    "rerank_searches",
)
INPUT, CACHE_READ, CACHE_WRITE, OUTPUT = range(4)  # cost kinds, and the first four counts
FIRST_UNIT = 5  # USAGE_KEYS[FIRST_UNIT:FIRST_METERED] are the units that refine the five counts
FIRST_METERED = USAGE_KEYS.index("input_characters")  # USAGE_KEYS[FIRST_METERED:]: other units
METERED_KEYS = USAGE_KEYS[FIRST_METERED:]
# The metered counts a span reports: extract.METERED_UNITS, same order. A parent unit no span
# reports (audio_seconds) takes its one reported child's count; METERED_FROM says, for each of
# METERED_KEYS, which reported count it is. A new unit: its genai-prices name here, in
# METERED_KEYS, in extract.METERED_UNITS and as an llm_calls column (a migration).
REPORTED_METERED = (
    "input_characters",
    "input_audio_seconds",
    "web_searches",
    "input_document_pages",
    "input_annotated_document_pages",
    "preview_web_searches",
    "output_images",
    "storage_searches",
    "code_executions",
    "rerank_searches",
)
_REPORTED_AS = {"audio_seconds": "input_audio_seconds"}
METERED_FROM = tuple(REPORTED_METERED.index(_REPORTED_AS.get(key, key)) for key in METERED_KEYS)
# Of those, the charges on top of the tokens (a fee per web search or file search call, the
# time of a code execution container or the images a tool made, which a chat model's price
# does not rate: such a call is unpriced).
# Characters and seconds measure the input that tokens measure too: beside token counts, a
# per-token price bills the tokens (Vertex AI reports the characters of gemini-embedding-001,
# billed per token).
ADDITIONAL_FIELDS = frozenset(
    {
        USAGE_KEYS.index("web_searches"),
        USAGE_KEYS.index("storage_searches"),
        USAGE_KEYS.index("code_executions"),
        # images a tool made for a chat model, billed at the image model's rates
        USAGE_KEYS.index("output_images"),
    }
)
KINDS = ("input", "cache_read", "cache_write", "output")
_FIELD = {key: index for index, key in enumerate(USAGE_KEYS)}
_DIMENSIONS = {
    raw["price_key"]: (usage_key, frozenset(raw.get("dimensions", {}).items()))
    for usage_key, raw in unit_data.items()
}
_PER = {usage_key: int(raw["per"]) for usage_key, raw in unit_data.items()}
# tokentrace's own units, which genai-prices does not have: of the web searches, those
# OpenAI's web_search_preview tool ran (it refines web_searches, billed at its rate, as
# genai-prices bills a unit without a rate of its own, and no price has a rate for it: it is
# counted so that a rule can leave a call unpriced where that tool's fee differs,
# rules.OPENAI_SEARCH); and the images an image model made (Imagen), priced per 1,000 images
# (``output_images_kcount``, the prices file's ``output_images`` per image).
_OWN_UNITS = {
    "preview_web_searches": (
        frozenset({**unit_data["web_searches"]["dimensions"], "tool_version": "preview"}.items()),
        int(unit_data["web_searches"]["per"]),
    ),
    "output_images": (frozenset({"family": "images", "direction": "output"}.items()), 1000),
}
OUTPUT_IMAGES_PRICE = "output_images_kcount"  # a ModelPrice attribute of tokentrace's own
_PER.update({key: per for key, (_, per) in _OWN_UNITS.items()})
_DIMENSIONS[OUTPUT_IMAGES_PRICE] = ("output_images", _OWN_UNITS["output_images"][0])
_TOKENS = ("family", "tokens")


def usage_key(price_key: str) -> str | None:
    """The usage count a price key bills (``web_searches_kcount`` → ``web_searches``)."""
    found = _DIMENSIONS.get(price_key)
    return found[0] if found else None


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
    # Counts no priced unit at or above bills: non-zero, the call is unpriced (no_rate).
    unbilled: tuple[int, ...] = ()
    # Priced by characters, seconds or searches only: a call with none of them is unpriced
    # (not_per_token), whatever tokens it reports.
    metered_only: bool = False
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
    units: dict[str, tuple[frozenset, Decimal | TieredPrices]] = {}
    for key, rate in rates.items():
        usage_key, dimensions = _DIMENSIONS.get(key, (None, frozenset()))
        if usage_key is None:
            continue
        if usage_key not in _FIELD:
            if any(dimensions <= _DIMENSIONS_OF[k] for k in USAGE_KEYS):
                raise Unpriceable("no_rate", f"{key} refines counts tokentrace carries")
            continue  # a count no span reports (citations, pages…): always 0
        units[usage_key] = (dimensions, rate)
    if not units and fee is None and rates:
        raise Unpriceable("not_per_token", "priced per page, message or search, not per token")
    scale = _scale(units, fee)
    tiered = [rate for _, rate in units.values() if isinstance(rate, TieredPrices)]
    thresholds = sorted({t.start for rate in tiered for t in rate.tiers})
    leaves = _leaf_forms(units)
    plain = _leaf_forms({k: v for k, v in units.items() if not is_cache(v[0])})
    bands = []
    unit_bands = []
    for above in (None, *thresholds):
        unit_bands.append(
            tuple(
                (field - FIRST_UNIT, _coefficient(rate_above(rate, above), key, scale), leaves[key])
                for field, key, rate in sorted((_FIELD[k], k, r) for k, (_, r) in units.items())
                if FIRST_UNIT <= field < FIRST_METERED
            )
        )
        coefficients: dict[int, list[int]] = {}
        for forms, column in ((leaves, None), (plain, 4)):
            for usage_key, form in forms.items():
                dimensions, rate = units[usage_key]
                scaled = _coefficient(rate_above(rate, above), usage_key, scale)
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
        scale=scale,
        thresholds=tuple(thresholds),
        bands=tuple(bands),
        leaves=tuple(form for form in leaves.values() if len(form) > 1),
        request_fee=_coefficient(fee, "requests", scale) if fee else 0,
        priced_fields=frozenset(_FIELD[k] for k in units),
        unit_bands=tuple(unit_bands) if any(unit_bands) else (),
        unbilled=_unbilled(units),
        metered_only=bool(units) and not any(_TOKENS in d for d, _ in units.values()),
    )


def _scale(units: dict[str, tuple[frozenset, Decimal | TieredPrices]], fee: Decimal | None) -> int:
    """The smallest divisor of 1e-12 USD in which every rate is a whole number per unit
    counted: a power of ten for rates per million tokens, more for a rate per hour that a
    second does not divide into whole picodollars ($0.111 per hour)."""
    terms = [(value, key) for key, (_, rate) in units.items() for value in _rate_values(rate)]
    if fee:
        terms.append((fee, "requests"))
    scale = 1
    for value, key in terms:
        per_unit = Fraction(value) * 10**12 / _PER[key]
        scale = math.lcm(scale, per_unit.denominator)
    return scale


def _coefficient(rate: Decimal, usage_key: str, scale: int) -> int:
    """``rate`` (USD per ``per`` units) as whole units of 1e-12 / ``scale`` USD per unit."""
    exact = Fraction(rate) * 10**12 * scale / _PER[usage_key]
    if exact.denominator != 1:  # _scale chose scale so that it is whole
        raise ValueError(f"{rate} per {_PER[usage_key]} {usage_key} at scale {scale}")
    return exact.numerator


def _unbilled(units: dict[str, tuple[frozenset, Decimal | TieredPrices]]) -> tuple[int, ...]:
    """The counts carried that no priced unit at or above them bills (see the module).

    Token counts keep genai-prices' rule (a count without a rate is billed at its parent's,
    and an embedding model's output tokens at nothing) unless the price has no token rate at
    all; a free price (no rate) bills nothing and leaves nothing unbilled."""
    if not units:
        return ()
    per_token = any(_TOKENS in dimensions for dimensions, _ in units.values())
    return tuple(
        field
        for key, field in _FIELD.items()
        if not (per_token and field < FIRST_METERED)
        and not any(dimensions <= _DIMENSIONS_OF[key] for dimensions, _ in units.values())
    )


_DIMENSIONS_OF = {usage_key: dims for usage_key, dims in _DIMENSIONS.values()}
_DIMENSIONS_OF.update({key: dims for key, (dims, _) in _OWN_UNITS.items()})


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
