"""OpenAI's image and speech-to-text APIs through the real openai SDK, metered and priced by
token with nothing configured (`instrumentation/openai_media_api.py`).

Prices, per million tokens, from OpenAI's pricing page (https://platform.openai.com/docs/pricing,
"Image tokens" and "Transcription" tables; the same figures on each model's page under
https://platform.openai.com/docs/models):
- gpt-image-1: text input $5, image input $10, image output $40;
- gpt-image-1.5: text input $5, image input $8, image output $32 (text output $10);
- gpt-image-1-mini: text input $2, image input $2.50, image output $8;
- gpt-4o-transcribe: text input $2.50, audio input $6, text output $10;
- gpt-4o-mini-transcribe: text input $1.25, audio input $3, text output $5.
whisper-1 is billed per minute of audio, $0.006 (https://developers.openai.com/api/docs/models/
whisper-1: "Transcription, cost / minute $0.006"), by the whole seconds its usage reports
($0.0001 a second); tts-1 per million characters of input, $15 (tts-1-hd $30) (OpenAI's
pricing page, "Text to speech"; https://developers.openai.com/api/docs/models/tts-1).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import openai
import pytest
from ingest.otlp import extract_request, request, span

from tokentrace.instrumentation.openai_media_api import IMAGES
from tokentrace.instrumentation.usage import Observed
from tokentrace.processor.pipeline import price_call
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.standins import usage_header

from .conftest import llm_spans, store_spans

AUDIO = ("meeting.mp3", b"ID3\x04\x00" + bytes(64), "audio/mpeg")
PICTURE = ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")
COLUMNS = (  # the cost of an unpriced call (`priced = 0`) is unknown: NULL here
    "operation, provider, model, stream, input_tokens, output_tokens, input_image_tokens, "
    "output_image_tokens, input_audio_tokens, if(priced = 1, cost, NULL), priced, usage_missing, "
    "unpriced_reason"
)


def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test-media", base_url=base_url, max_retries=0)


def async_client(base_url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key="sk-test-media", base_url=base_url, max_retries=0)


def rows(exporter, tmp_path, store_client) -> list[tuple]:
    store_spans(llm_spans(exporter), tmp_path, store_client)
    return store_client.query(f"SELECT {COLUMNS} FROM llm_calls ORDER BY ts").result_rows


def test_images_generated_and_edited_priced_by_their_image_tokens(
    standin, exporter, tmp_path, store_client
):
    sdk = client(standin.base_url("/openai/v1"))
    # A high-quality 1024×1024 image is 4,160 output tokens: 50 × 5 + 4,160 × 32 = 133,370.
    first = sdk.images.generate(
        model="gpt-image-1.5",
        prompt="A lighthouse at dusk",
        quality="high",
        extra_headers=usage_header(input=50, output=4160),
    )
    # An edit: 1,000 input tokens, the stand-in's 750 of them image tokens; a medium image is
    # 1,056 output tokens: 250 × 5 + 750 × 10 + 1,056 × 40 = 1,250 + 7,500 + 42,240 = 50,990.
    second = sdk.images.edit(
        model="gpt-image-1",
        image=PICTURE,
        prompt="Add a red hat",
        extra_headers=usage_header(input=1000, output=1056),
    )
    assert first.usage is not None and first.usage.output_tokens == 4160
    assert second.usage is not None and second.usage.input_tokens_details.image_tokens == 750

    assert rows(exporter, tmp_path, store_client) == [
        ("image_generation", "openai", "gpt-image-1.5", 0, 50, 4160, 0, 4160, 0,
         Decimal("0.13337"), 1, 0, ""),
        ("image_generation", "openai", "gpt-image-1", 0, 1000, 1056, 750, 1056, 0,
         Decimal("0.05099"), 1, 0, ""),
    ]  # fmt: skip
    assert standin.requests[1].headers["content-type"].startswith("multipart/form-data")


def test_a_streamed_image_through_an_unmapped_gateway(unmapped, standin, tmp_path, store_client):
    """No provider URL is mapped: the path's shape and the model's owner say it is OpenAI's."""

    async def generate() -> list[str]:
        sdk = async_client(standin.root + "/v1")
        stream = await sdk.images.generate(
            model="gpt-image-1-mini",
            prompt="A paper boat",
            stream=True,
            partial_images=1,
            extra_headers=usage_header(input=40, output=272),
        )
        return [event.type async for event in stream]

    events = asyncio.run(generate())
    assert events == ["image_generation.partial_image", "image_generation.completed"]
    # 40 × 2 + 272 × 8 = 80 + 2,176 = 2,256 per million.
    assert rows(unmapped, tmp_path, store_client) == [
        ("image_generation", "openai", "gpt-image-1-mini", 1, 40, 272, 0, 272, 0,
         Decimal("0.002256"), 1, 0, ""),
    ]  # fmt: skip


def test_transcriptions_priced_by_audio_tokens_whisper_by_its_billed_seconds(
    standin, exporter, tmp_path, store_client
):
    sdk = client(standin.base_url("/openai/v1"))
    usage = usage_header(input=600, output=150)
    plain = sdk.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=AUDIO, extra_headers=usage
    )
    streamed = sdk.audio.transcriptions.create(
        model="gpt-4o-mini-transcribe", file=AUDIO, stream=True, extra_headers=usage
    )
    assert [event.type for event in streamed][-1] == "transcript.text.done"
    whisper = sdk.audio.transcriptions.create(model="whisper-1", file=AUDIO, extra_headers=usage)
    verbose = sdk.audio.transcriptions.create(
        model="whisper-1", file=AUDIO, response_format="verbose_json", extra_headers=usage
    )
    subtitles = sdk.audio.transcriptions.create(
        model="whisper-1", file=AUDIO, response_format="srt", extra_headers=usage
    )
    text = sdk.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=AUDIO, response_format="text", extra_headers=usage
    )
    translated = sdk.audio.translations.create(
        model="whisper-1", file=AUDIO, response_format="verbose_json", extra_headers=usage
    )
    assert plain.text == whisper.text == verbose.text == text.strip() == subtitles.strip()
    assert verbose.duration == 8.470000267028809  # billed as 9 seconds: usage.seconds
    assert translated.duration == verbose.duration

    assert rows(exporter, tmp_path, store_client) == [
        # 600 × 6 + 150 × 10 = 3,600 + 1,500 = 5,100 per million.
        ("transcription", "openai", "gpt-4o-transcribe", 0, 600, 150, 0, 0, 600,
         Decimal("0.0051"), 1, 0, ""),
        # 600 × 3 + 150 × 5 = 1,800 + 750 = 2,550 per million.
        ("transcription", "openai", "gpt-4o-mini-transcribe", 1, 600, 150, 0, 0, 600,
         Decimal("0.00255"), 1, 0, ""),
        # usage.seconds 9: 9 × $0.006 / 60 = $0.0009, no tokens.
        ("transcription", "openai", "whisper-1", 0, 0, 0, 0, 0, 0, Decimal("0.0009"), 1, 0, ""),
        ("transcription", "openai", "whisper-1", 0, 0, 0, 0, 0, 0, Decimal("0.0009"), 1, 0, ""),
        # Subtitles and plain text carry no usage: unknown, not $0.
        ("transcription", "openai", "whisper-1", 0, 0, 0, 0, 0, 0, None, 0, 1, "usage_missing"),
        ("transcription", "openai", "gpt-4o-transcribe", 0, 0, 0, 0, 0, 0, None, 0, 1,
         "usage_missing"),
        # A translation answers no usage, only the audio's exact `duration`: how whisper-1
        # rounds it into billed seconds is not published (8.47 s was billed as 9 in the
        # reference's transcription example, one example): unknown, not $0.
        ("transcription", "openai", "whisper-1", 0, 0, 0, 0, 0, 0, None, 0, 1, "usage_missing"),
    ]  # fmt: skip
    seconds = store_client.query("SELECT input_audio_seconds FROM llm_calls ORDER BY ts")
    assert [row[0] for row in seconds.result_rows] == [0, 0, 9, 9, 0, 0, 0]


@pytest.mark.parametrize("path", ["/images/generations", "/audio/transcriptions"])
def test_a_failed_media_call_is_metered_as_an_error(standin, exporter, path):
    sdk = client(standin.base_url("/openai/v1"))
    with pytest.raises(openai.RateLimitError):
        if path.startswith("/images"):
            sdk.images.generate(
                model="gpt-image-1", prompt="x", extra_headers={"x-standin-fail": "429"}
            )
        else:
            sdk.audio.transcriptions.create(
                model="gpt-4o-transcribe", file=AUDIO, extra_headers={"x-standin-fail": "429"}
            )
    (span,) = llm_spans(exporter)
    assert span.attributes["error.type"] == "429"
    assert span.attributes["http.response.status_code"] == 429


def test_azure_transcription_names_its_deployment(unmapped, standin, tmp_path, store_client):
    """`AzureOpenAI` behind a gateway: the upload's deployment path names Azure, and the model
    is the deployment's name (the answer names none). Azure lists gpt-4o-mini-transcribe at
    OpenAI's rates, $3 audio input and $5 output per million
    (https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/)."""
    sdk = openai.AzureOpenAI(
        azure_endpoint=standin.root, api_key="k", api_version="2025-03-01-preview", max_retries=0
    )
    sdk.audio.transcriptions.create(
        model="gpt-4o-mini-transcribe",  # the deployment's name
        file=AUDIO,
        extra_headers=usage_header(input=600, output=150),
    )
    assert standin.requests[0].path.startswith(
        "/openai/deployments/gpt-4o-mini-transcribe/audio/transcriptions?"
    )
    assert rows(unmapped, tmp_path, store_client) == [
        ("transcription", "azure.ai.openai", "gpt-4o-mini-transcribe", 0, 600, 150, 0, 0, 600,
         Decimal("0.00255"), 1, 0, ""),
    ]  # fmt: skip


def test_speech_priced_by_tokens_when_streamed_tts_1_by_its_characters(
    standin, exporter, tmp_path, store_client
):
    """gpt-4o-mini-tts reports usage only in its SSE stream (`stream_format="sse"`): $0.60 per
    million text input tokens, $12 per million audio output tokens. An audio answer carries no
    usage: tts-1 is priced by the characters of its `input`; gpt-4o-mini-tts, billed per token,
    is then unknown (`no_rate`), and so is a text beyond ASCII, whose characters OpenAI does
    not say how it counts (usage missing)."""
    sdk = client(standin.base_url("/openai/v1"))
    usage = usage_header(input=40, output=1200)
    events = sdk.audio.speech.create(
        model="gpt-4o-mini-tts", voice="alloy", input="Hello there", stream_format="sse",
        extra_headers=usage,
    )  # fmt: skip
    assert b'"speech.audio.done"' in events.read()
    for model, text in [
        ("tts-1", "Hello there"),
        ("tts-1-hd", "The quick brown fox jumps over the lazy dog.\n" * 3),
        ("gpt-4o-mini-tts", "Hello there"),
        ("tts-1", "Grüß Gott"),
    ]:
        audio = sdk.audio.speech.create(model=model, voice="alloy", input=text, extra_headers=usage)
        assert audio.read().startswith(b"ID3")
    with pytest.raises(openai.RateLimitError):
        sdk.audio.speech.create(
            model="tts-1", voice="alloy", input="Hello", extra_headers={"x-standin-fail": "429"}
        )

    assert rows(exporter, tmp_path, store_client) == [
        # 40 × 0.60 + 1,200 × 12 = 24 + 14,400 = 14,424 per million.
        ("speech", "openai", "gpt-4o-mini-tts", 1, 40, 1200, 0, 0, 0,
         Decimal("0.014424"), 1, 0, ""),
        # 11 characters × $15 per million = $0.000165.
        ("speech", "openai", "tts-1", 0, 0, 0, 0, 0, 0, Decimal("0.000165"), 1, 0, ""),
        # 3 × 45 = 135 characters (newlines included) × $30 per million = $0.00405.
        ("speech", "openai", "tts-1-hd", 0, 0, 0, 0, 0, 0, Decimal("0.00405"), 1, 0, ""),
        ("speech", "openai", "gpt-4o-mini-tts", 0, 0, 0, 0, 0, 0, None, 0, 0, "no_rate"),
        ("speech", "openai", "tts-1", 0, 0, 0, 0, 0, 0, None, 0, 1, "usage_missing"),
        # Refused: not billed, but a per-character price with no character count to apply
        # says nothing, so not $0 (as for any price not per token).
        ("speech", "openai", "tts-1", 0, 0, 0, 0, 0, 0, None, 0, 0, "not_per_token"),
    ]  # fmt: skip
    characters = store_client.query("SELECT input_characters FROM llm_calls ORDER BY ts")
    assert [row[0] for row in characters.result_rows] == [0, 11, 135, 11, 0, 0]


@pytest.mark.parametrize("operation", ["image", "audio", "speech_to_text"])
def test_a_third_party_span_around_the_call_is_marked_as_its_duplicate(
    standin, exporter, provider, operation
):
    """OpenLIT wraps `images.generate` and `audio.*` in a span of operation `image`, `audio`
    or `speech_to_text`: ours, inside it, names it, so the call is counted once even when the
    two spans reach serve in different requests."""
    sdk = client(standin.base_url("/openai/v1"))
    tracer = provider.get_tracer("openlit.otel.tracing")
    with tracer.start_as_current_span(
        f"{operation} gpt-image-1", attributes={"gen_ai.operation.name": operation}
    ) as outer:
        sdk.images.generate(model="gpt-image-1", prompt="x")
    (ours,) = llm_spans(exporter)
    assert ours.attributes["tokentrace.duplicate_of"] == format(outer.context.span_id, "016x")


def test_dall_e_priced_per_image_by_size_and_quality(standin, exporter, tmp_path, store_client):
    """DALL·E answers images without usage: each call is priced by its images, at the rate of
    the size and quality it asked for (defaults: 1024x1024, standard), per image, from
    https://openai.com/api/pricing (DALL·E 3 standard 1024×1024 $0.040, 1024×1792 and
    1792×1024 $0.080; HD 1024×1024 $0.080, 1024×1792 and 1792×1024 $0.120; DALL·E 2
    1024×1024 $0.020, 512×512 $0.018, 256×256 $0.016). A quality with no published rate
    (`auto`) leaves the call unknown, never $0."""
    sdk = client(standin.base_url("openai"))
    wide = sdk.images.generate(model="dall-e-3", prompt="A harbour", size="1792x1024", quality="hd")
    sdk.images.generate(model="dall-e-3", prompt="A harbour", response_format="url")
    sdk.images.generate(model="dall-e-2", prompt="A harbour", size="512x512", n=3)
    sdk.images.edit(model="dall-e-2", image=PICTURE, prompt="Add a moon", size="256x256", n=2)
    variations = sdk.images.create_variation(image=PICTURE, model="dall-e-2", n=2)
    sdk.images.generate(model="dall-e-3", prompt="A harbour", quality="auto")
    assert wide.data[0].revised_prompt == "A harbour" and len(variations.data) == 2

    assert rows(exporter, tmp_path, store_client) == [
        # One HD 1792×1024 image: $0.12.
        ("image_generation", "openai", "dall-e-3", 0, 0, 0, 0, 0, 0, Decimal("0.12"), 1, 0, ""),
        # One standard 1024×1024 image (the defaults), as a URL: $0.04.
        ("image_generation", "openai", "dall-e-3", 0, 0, 0, 0, 0, 0, Decimal("0.04"), 1, 0, ""),
        # 3 × $0.018 = $0.054.
        ("image_generation", "openai", "dall-e-2", 0, 0, 0, 0, 0, 0, Decimal("0.054"), 1, 0, ""),
        # An edit (a multipart upload): 2 × $0.016 = $0.032.
        ("image_generation", "openai", "dall-e-2", 0, 0, 0, 0, 0, 0, Decimal("0.032"), 1, 0, ""),
        # Variations at the default 1024×1024: 2 × $0.02 = $0.04.
        ("image_generation", "openai", "dall-e-2", 0, 0, 0, 0, 0, 0, Decimal("0.04"), 1, 0, ""),
        ("image_generation", "openai", "dall-e-3", 0, 0, 0, 0, 0, 0, None, 0, 0, "no_rate"),
    ]  # fmt: skip
    tiers = store_client.query("SELECT service_tier, output_images FROM llm_calls ORDER BY ts")
    assert tiers.result_rows == [
        ("hd-1792x1024", 1),
        ("standard-1024x1024", 1),
        ("standard-512x512", 3),
        ("standard-256x256", 2),
        ("standard-1024x1024", 2),
        ("auto-1024x1024", 1),
    ]


def test_dall_e_through_an_unmapped_gateway_is_openai_s_at_its_image_rate(
    unmapped, standin, tmp_path, store_client
):
    """DALL·E is not in genai-prices, only in tokentrace's corrections: its owner came from
    neither, so through a gateway (nothing mapped) the call was `unknown` and unpriced. The
    corrections' models now name their owner too: one standard 1024×1024 DALL·E 3 image $0.04,
    two DALL·E 2 512×512 images 2 × $0.018 = $0.036 (https://openai.com/api/pricing)."""
    sdk = client(standin.root + "/gateway/v1")
    sdk.images.generate(model="dall-e-3", prompt="A harbour")
    sdk.images.generate(model="dall-e-2", prompt="A harbour", size="512x512", n=2)

    assert rows(unmapped, tmp_path, store_client) == [
        ("image_generation", "openai", "dall-e-3", 0, 0, 0, 0, 0, 0, Decimal("0.04"), 1, 0, ""),
        ("image_generation", "openai", "dall-e-2", 0, 0, 0, 0, 0, 0, Decimal("0.036"), 1, 0, ""),
    ]  # fmt: skip


def test_xai_image_generation_priced_at_the_cost_it_reports():
    """xAI's image answers carry no token counts, only `usage.cost_in_usd_ticks`
    (https://docs.x.ai/developers/cost-tracking: 200000000 ticks = $0.02 for one image): the
    call was usage-missing (cost unknown); its reported cost is now the call's, two images
    at 400000000 ticks = $0.04, with the images counted."""
    answer = {
        "data": [{"url": "https://imgen.x.ai/1.jpg"}, {"url": "https://imgen.x.ai/2.jpg"}],
        "usage": {"cost_in_usd_ticks": 400_000_000},
    }
    seen = Observed()
    IMAGES.observe(answer, seen, False)
    usage = IMAGES.usage(seen.raw_usage)
    assert usage is not None
    attrs = usage.attributes()
    assert attrs == {
        "tokentrace.usage.output_images": 2,
        "tokentrace.usage.provider_cost": "0.0400000000",
    }
    start_ns = 1_764_590_400_000_000_000
    span_attrs = {
        "gen_ai.operation.name": "image_generation",
        "gen_ai.provider.name": "x_ai",
        "gen_ai.request.model": "grok-imagine-image",
        **attrs,
    }
    (call,) = extract_request(request(span(span_attrs, start_ns=start_ns)), start_ns).calls
    price = price_call(Pricer(""), call)
    assert (price.priced, price.cost, price.cost_source) == (True, Decimal("0.04"), "provider")
    # Without a reported cost, an answer with usage and no counts stays usage-missing.
    seen = Observed()
    IMAGES.observe({"usage": {"total_tokens": 0}}, seen, False)
    assert IMAGES.usage(seen.raw_usage) is None
