"""xai-sdk's own spans: the SDK calls xAI over gRPC, which no HTTP hook of tokentrace's sees,
and traces each call itself on the global tracer provider (``xai_sdk.sync.chat``,
``xai_sdk.aio.chat``), which ``opentelemetry-instrument`` sets. Recorded by
``tests/fixtures/sources/record/record.py`` (``xai_sdk``: xai-sdk 1.21, at a gRPC stand-in of
xAI's Chat service, tokentrace's instrumentation on too) and replayed through serve.

Its usage attributes are xAI's ``SamplingUsage`` fields: ``gen_ai.usage.output_tokens`` is
``completion_tokens``, which leaves out the ``reasoning_tokens`` that ``total_tokens`` adds
(https://docs.x.ai/docs/key-information/consumption-and-rate-limits: reasoning tokens are
charged at the completion price), the cache reads are ``gen_ai.usage.cached_prompt_text_tokens``
and the cost xAI charged, when it says, ``gen_ai.usage.cost_in_usd_ticks`` (1e-10 USD).

Prices (https://docs.x.ai/docs/models, USD per million tokens): grok-3-mini input 0.30,
cached input 0.075, output 0.50; grok-4-fast-non-reasoning input 0.20, output 0.50.
"""

from __future__ import annotations

from decimal import Decimal

from tokentrace.processor.pricing.pricer import Pricer

from .conftest import Replay

# grok-3-mini, 1,200 in (1,000 cached), 50 out + 300 reasoning:
# 200 × 0.30 + 1,000 × 0.075 + 350 × 0.50 per million.
MINI = ("x_ai", "grok-3-mini", 1200, 350, 1000, 0, 1, "", Decimal("0.00031"), "computed")
# grok-4-fast-non-reasoning, 2,000 in, 500 out; xAI's 6,500,000 ticks: $0.00065 (as computed,
# 2,000 × 0.20 + 500 × 0.50 per million).
FAST = ("x_ai", "grok-4-fast-non-reasoning", 2000, 500, 0, 0, 1, "", Decimal("0.00065"), "provider")
COLUMNS = (
    "provider", "request_model", "input_tokens", "output_tokens", "cache_read_tokens",
    "usage_missing", "priced", "unpriced_reason", "cost", "cost_source",
)  # fmt: skip


def test_xai_sdk_grpc_calls_one_row_each_exact(replay):
    """Four sync calls (``sample`` and ``stream`` on each model) and two asyncio calls on
    grok-3-mini: six rows. The reasoning tokens were left out of the output and the cache
    reads billed at the input rate ($0.000535 for a $0.00031 call)."""
    result = replay("xai_sdk")
    assert result.spans == 6
    assert result.rows(*COLUMNS) == sorted([MINI] * 4 + [FAST] * 2)
    assert result.rows("stream") == [(0,)] * 3 + [(1,)] * 3


MEDIA = (
    "request_model", "output_images", "usage_missing", "priced", "unpriced_reason",
    "toString(cost)",
)  # fmt: skip
IMAGE, VIDEO = "grok-imagine-image", "grok-imagine-video"


def test_xai_sdk_image_and_video_calls_priced_by_xai_or_unknown(replay):
    """xai-sdk's image and video calls (``xai_sdk_media``: ``image.sample``, ``sample_batch``
    of 2, ``video.generate``, ``video.start``), each made once with xAI's cost in the answer
    and once without. genai-prices has no xAI image or video model, and no first-party rate
    was readable here: a call is priced by the cost xAI says it charged ($0.04 for the images,
    $0.25 for the 5-second video), else unknown (``unknown_model``), never $0; a video only
    started (``video.start``: its poll has no span) is one row, usage-missing. Each image
    call counts the images it made (``output_images``), which a prices file's per-image rate
    prices (next test)."""
    result = replay("xai_sdk_media")
    assert result.spans == 8
    assert result.rows(*MEDIA) == sorted(
        [
            (IMAGE, 1, 0, 1, "unknown_model", "0.04"),
            (IMAGE, 2, 0, 1, "unknown_model", "0.04"),
            (IMAGE, 1, 0, 0, "unknown_model", "0"),
            (IMAGE, 2, 0, 0, "unknown_model", "0"),
            (VIDEO, 0, 0, 1, "unknown_model", "0.25"),
            (VIDEO, 0, 0, 0, "unknown_model", "0"),
            (VIDEO, 0, 1, 0, "usage_missing", "0"),
            (VIDEO, 0, 1, 0, "usage_missing", "0"),
        ]
    )


def test_xai_sdk_images_priced_per_image_by_a_prices_file(tmp_path, store_client):
    """A prices file rating grok-imagine-image per image ($0.02, its prompt tokens free, as
    the unknown_model warning suggests) priced the calls xAI's answer gave no cost for at
    $0: their images were not counted. Now 1 image $0.02 and 2 images $0.04; the calls with
    xAI's cost keep it."""
    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "prices:\n  - provider: x_ai\n    model: grok-imagine-image\n"
        "    input: 0\n    output: 0\n    output_images: 0.02\n"
    )
    result = Replay("xai_sdk_media", tmp_path, store_client, Pricer(prices_file=prices))
    assert result.answer.status_code == 200
    images = [row for row in result.rows(*MEDIA) if row[0] == IMAGE]
    assert images == [
        (IMAGE, 1, 0, 1, "", "0.02"),
        (IMAGE, 1, 0, 1, "", "0.04"),
        (IMAGE, 2, 0, 1, "", "0.04"),
        (IMAGE, 2, 0, 1, "", "0.04"),
    ]
