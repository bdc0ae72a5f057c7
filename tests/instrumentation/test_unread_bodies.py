"""LLM calls whose request body routing cannot read as JSON, on a host nothing maps: a
`requests` multipart upload (`files=`), whose form fields name the model, and a body sent as
it is produced (a generator, with `requests` or httpx), which names no model before it is
sent: such a call is metered all the same, its provider and price named by the answer's
model.

Prices (https://platform.openai.com/docs/pricing): gpt-4o-transcribe $6 / M audio input,
$10 / M output; gpt-4o (gpt-4o-2024-08-06) $2.50 / M input, $10 / M output.
"""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import requests

from tokentrace.processor.standins import usage_header

from .conftest import llm_spans, store_spans

AUDIO = ("meeting.mp3", b"ID3\x04\x00" + bytes(64), "audio/mpeg")
COLUMNS = "provider, operation, model, stream, input_tokens, output_tokens, cost, priced"
CHAT = {
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "What does a token cost?"}],
    "stream": True,
    "stream_options": {"include_usage": True},
}


def rows(exporter, tmp_path, store_client) -> list[tuple]:
    store_spans(llm_spans(exporter), tmp_path, store_client)
    return store_client.query(f"SELECT {COLUMNS} FROM llm_calls ORDER BY ts").result_rows


def pieces(document: dict) -> object:
    body = json.dumps(document).encode()
    yield body[:20]
    yield body[20:]


def test_requests_multipart_names_its_model_in_a_form_field(
    standin, unmapped, tmp_path, store_client
):
    usage = usage_header(input=600, output=150)
    url = standin.root + "/v1/audio/transcriptions"
    # the model before the file, as `data=` puts it, and after it, as a `files=` part
    requests.post(url, files={"file": AUDIO}, data={"model": "gpt-4o-transcribe"}, headers=usage)
    requests.post(url, files={"file": AUDIO, "model": (None, "gpt-4o-transcribe")}, headers=usage)

    assert [span.attributes["gen_ai.request.model"] for span in llm_spans(unmapped)] == [
        "gpt-4o-transcribe"
    ] * 2
    # 600 audio tokens x 6 + 150 x 10 = 3,600 + 1,500 = 5,100 per million, each.
    row = ("openai", "transcription", "gpt-4o-transcribe", 0, 600, 150, Decimal("0.0051"), 1)
    assert rows(unmapped, tmp_path, store_client) == [row, row]


def test_a_generator_body_is_metered_by_the_answer_s_model(
    standin, unmapped, tmp_path, store_client
):
    url = standin.root + "/v1/chat/completions"
    headers = {"content-type": "application/json", **usage_header(input=1000, output=200)}
    with requests.post(url, data=pieces(CHAT), headers=headers, stream=True) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in answer.iter_lines() if line]
    with httpx.Client() as client:
        answer = client.post(url, content=pieces(CHAT), headers=headers)
    assert lines[-1] == b"data: [DONE]" and answer.text.endswith("data: [DONE]\n\n")

    spans = llm_spans(unmapped)
    assert [span.attributes["gen_ai.provider.name"] for span in spans] == ["unknown"] * 2
    assert all("gen_ai.request.model" not in span.attributes for span in spans)
    # the provider and price follow from the answer's model: 1,000 x 2.50 + 200 x 10.00
    # = 4,500 per million, each; streamed, as the answer says.
    row = ("openai", "chat", "gpt-4o", 1, 1000, 200, Decimal("0.0045"), 1)
    assert rows(unmapped, tmp_path, store_client) == [row, row]


def test_an_empty_body_to_an_unknown_host_is_still_no_call(standin, unmapped):
    requests.post(standin.root + "/v1/chat/completions")
    httpx.post(standin.root + "/v1/chat/completions")
    assert llm_spans(unmapped) == []
