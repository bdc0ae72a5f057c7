"""Mistral's OCR and transcription APIs through the real mistralai SDK (`ocr.process`,
`audio.transcriptions.complete`): one span per call with the pages it processed, or the
seconds of audio it transcribed, in a unit of their own (billed per page or per minute, not
per token); and Voxtral's chat with audio input (`chat.complete`), its seconds beside tokens."""

from __future__ import annotations

from decimal import Decimal

import openai
import pytest
from mistralai.client import Mistral

from tokentrace.processor.standins import usage_header

from .conftest import attributes, call_attributes, llm_spans, only_span, store_spans

DOCUMENT = {"type": "document_url", "document_url": "https://example.com/report.pdf"}
COLUMNS = (
    "operation, provider, model, input_tokens, output_tokens, if(priced = 1, cost, NULL), "
    "priced, usage_missing, unpriced_reason"
)


def client(standin) -> Mistral:
    return Mistral(api_key="ms-test", server_url=standin.root + "/mistral")


def test_ocr_pages_metered(standin, exporter, tmp_path, store_client):
    sdk = client(standin)
    plain = sdk.ocr.process(
        model="mistral-ocr-2505", document=DOCUMENT, http_headers=usage_header(input=3)
    )
    annotated = sdk.ocr.process(
        model="mistral-ocr-2505",
        document=DOCUMENT,
        document_annotation_format={
            "type": "json_schema",
            "json_schema": {"name": "doc", "schema": {"type": "object"}},
        },
        http_headers=usage_header(input=2),
    )

    assert plain.usage_info.pages_processed == 3
    assert annotated.document_annotation is not None
    first, second = (attributes(span) for span in llm_spans(exporter))
    assert first == {
        **call_attributes(standin, "mistral_ai", "ocr", "mistral-ocr-2505"),
        "gen_ai.response.model": "mistral-ocr-2505",
        "tokentrace.usage.input_document_pages": 3,
    }
    # Annotated pages are a kind of page, billed at their own rate ($3 per 1,000 against $1).
    assert second["tokentrace.usage.input_document_pages"] == 2
    assert second["tokentrace.usage.input_annotated_document_pages"] == 2
    store_spans(llm_spans(exporter), tmp_path, store_client)
    # Priced per page (mistral-ocr-2505: $1 per 1,000 pages, $3 per 1,000 annotated pages,
    # https://mistral.ai/pricing): 3 x 1 / 1,000 = $0.003; 2 pages, both annotated, billed at
    # the annotated rate only (an annotated page is a kind of page): 2 x 3 / 1,000 = $0.006.
    assert store_client.query(f"SELECT {COLUMNS} FROM llm_calls ORDER BY ts").result_rows == [
        ("ocr", "mistral_ai", "mistral-ocr-2505", 0, 0, Decimal("0.003"), 1, 0, ""),
        ("ocr", "mistral_ai", "mistral-ocr-2505", 0, 0, Decimal("0.006"), 1, 0, ""),
    ]
    pages = store_client.query(
        "SELECT input_document_pages, input_annotated_document_pages FROM llm_calls ORDER BY ts"
    ).result_rows
    assert pages == [(3, 0), (2, 2)]


def test_a_failed_ocr_call_is_one_error_span(standin, exporter):
    with pytest.raises(Exception, match="429"):
        client(standin).ocr.process(
            model="mistral-ocr-latest",
            document=DOCUMENT,
            http_headers={"x-standin-fail": "429"},
            retries=None,
        )
    found = attributes(only_span(exporter))
    assert found == {
        **call_attributes(standin, "mistral_ai", "ocr", "mistral-ocr-latest", status=429),
        "error.type": "429",
    }


def test_voxtral_transcription_priced_by_its_audio_seconds(
    standin, exporter, tmp_path, store_client
):
    """Voxtral Mini Transcribe ($0.003 a minute of audio, https://mistral.ai/pricing; the
    Voxtral Mini 2602 that voxtral-mini-latest names, $0.18 an hour) reports
    `usage.prompt_audio_seconds`: 95 seconds x $0.003 / 60 = $0.00475. Its token counts are
    not what it bills. Before, the call was stored unknown (its usage was not read)."""
    sdk = client(standin)
    reply = sdk.audio.transcriptions.complete(
        model="voxtral-mini-latest",
        file={"file_name": "meeting.mp3", "content": b"ID3\x04\x00" + bytes(64)},
        http_headers=usage_header(input=95, output=40),
    )
    assert reply.usage.prompt_audio_seconds == 95
    assert only_span(exporter).attributes["tokentrace.usage.input_audio_seconds"] == 95
    store_spans(llm_spans(exporter), tmp_path, store_client)
    # Stored under the model genai-prices names (voxtral-mini-latest is Voxtral Mini 2602).
    assert store_client.query(f"SELECT {COLUMNS} FROM llm_calls").result_rows == [
        ("transcription", "mistral_ai", "voxtral-mini-2602", 0, 0, Decimal("0.00475"), 1, 0, ""),
    ]


def test_voxtral_chat_audio_input_priced_by_its_seconds_and_tokens(
    standin, exporter, tmp_path, store_client
):
    """Voxtral Small in chat completions bills its audio input per minute ($0.004) beside its
    text tokens ($0.10 in, $0.40 out per million, https://docs.mistral.ai/models/voxtral-small-25-07,
    read in github.com/mistralai/platform-docs-public); Mistral's usage reports the audio as
    `prompt_audio_seconds`, apart from `prompt_tokens`. 180 s x $0.004 / 60 = $0.012, + 1,000 x
    0.1 + 500 x 0.4 per million = $0.0003: $0.0123. The seconds were not read: the call was
    its tokens alone, $0.0003."""
    sdk = client(standin)
    reply = sdk.chat.complete(
        model="voxtral-small-latest",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "input_audio", "input_audio": "SUQzBAAAAAAA"},
                    {"type": "text", "text": "What is said here?"},
                ],
            }
        ],
        http_headers=usage_header(input=1000, output=500, audio_seconds=180),
    )
    assert reply.usage.prompt_audio_seconds == 180
    assert only_span(exporter).attributes["tokentrace.usage.input_audio_seconds"] == 180
    store_spans(llm_spans(exporter), tmp_path, store_client)
    assert store_client.query(f"SELECT {COLUMNS} FROM llm_calls").result_rows == [
        ("chat", "mistral_ai", "voxtral-small-24b-2507", 1000, 500, Decimal("0.0123"), 1, 0, ""),
    ]


def test_mistral_priority_capacity_is_not_billed_at_the_standard_rate(
    standin, exporter, tmp_path, store_client
):
    """Mistral serves a request on priority capacity when it asks for it (`service_tier`), and
    names the capacity in its usage (`usage.service_tier`: standard or priority,
    https://docs.mistral.ai/api, UsageInfo); priority is billed at rates of its own that no
    page read here states. The call asking for priority is unknown (no_rate), where it was
    billed at the standard rate ($0.50 / $1.50: 1,000 x 0.5 + 200 x 1.5 per million =
    $0.0008); the one served on standard capacity keeps that rate."""
    sdk = openai.OpenAI(base_url=standin.base_url("mistral"), api_key="ms-test", max_retries=0)
    for tier in ("priority", "standard"):
        reply = sdk.chat.completions.create(
            model="mistral-large-2512",
            messages=[{"role": "user", "content": "Hello"}],
            service_tier=tier,  # type: ignore[arg-type]
            extra_headers=usage_header(input=1000, output=200),
        )
        assert reply.usage.model_extra["service_tier"] == tier
    tiers = [span.attributes.get("openai.response.service_tier") for span in llm_spans(exporter)]
    assert tiers == ["priority", None]  # the standard tier is recorded as none
    store_spans(llm_spans(exporter), tmp_path, store_client)
    assert store_client.query(f"SELECT {COLUMNS} FROM llm_calls ORDER BY ts").result_rows == [
        ("chat", "mistral_ai", "mistral-large-2512", 1000, 200, None, 0, 0, "no_rate"),
        ("chat", "mistral_ai", "mistral-large-2512", 1000, 200, Decimal("0.0008"), 1, 0, ""),
    ]
