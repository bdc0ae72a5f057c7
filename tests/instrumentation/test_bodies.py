"""The incremental body parsers and decoders, fed the way a network delivers bytes."""

from __future__ import annotations

import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokentrace.instrumentation import anthropic_api, gemini_api, openai_api, openai_media_api
from tokentrace.instrumentation.bodies import JSON_LIMIT, JsonParser, SseParser, loads
from tokentrace.instrumentation.decoding import decoder_for
from tokentrace.instrumentation.usage import Observed
from tokentrace.processor.standins import anthropic, gemini, openai
from tokentrace.processor.standins.plan import plan_for

from .conftest import parse_split

HEADERS = {"x-standin-usage": "input=500,output=40,cache_read=300,cache_creation=100,reasoning=9"}


def stream_bytes(reply) -> bytes:
    return b"".join(reply.pieces)


def parse_sse(api, data: bytes, cuts: list[int]) -> Observed:
    return parse_split(SseParser, api, data, cuts)


ANTHROPIC_STREAM = stream_bytes(
    anthropic.handle("/v1/messages", {"model": "m", "stream": True}, plan_for(HEADERS, None))
)
GEMINI_STREAM = stream_bytes(
    gemini.handle("/v1beta/models/g:streamGenerateContent?alt=sse", {}, plan_for(HEADERS, None))
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(ANTHROPIC_STREAM)), max_size=12))
def test_anthropic_stream_split_anywhere_gives_the_same_usage(cuts):
    seen = parse_sse(anthropic_api.MESSAGES, ANTHROPIC_STREAM, cuts)

    assert seen.usage_final
    assert anthropic_api.MESSAGES.usage(seen.raw_usage).attributes() == {
        "gen_ai.usage.input_tokens": 500,
        "gen_ai.usage.output_tokens": 40,
        "gen_ai.usage.cache_read.input_tokens": 300,
        "gen_ai.usage.cache_creation.input_tokens": 100,
        "gen_ai.usage.reasoning.output_tokens": 9,
    }


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(GEMINI_STREAM)), max_size=12))
def test_gemini_crlf_stream_split_anywhere(cuts):
    seen = parse_sse(gemini_api.GENERATE_CONTENT, GEMINI_STREAM, cuts)

    assert seen.finish_reasons == ["STOP"]
    assert gemini_api.GENERATE_CONTENT.usage(seen.raw_usage).input_tokens == 500


def test_anthropic_message_start_alone_is_not_final_usage():
    first_event_end = ANTHROPIC_STREAM.index(b"\n\n") + 2
    seen = parse_sse(anthropic_api.MESSAGES, ANTHROPIC_STREAM[:first_event_end], [])
    assert seen.raw_usage["output_tokens"] == 1
    assert not seen.usage_final


def test_large_json_body_reads_usage_from_its_tail():
    body = {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": [0.1] * 64} for i in range(900)],
        "model": "text-embedding-3-large",
        "usage": {"prompt_tokens": 4321, "total_tokens": 4321},
    }
    data = json.dumps(body).encode()
    assert len(data) > JSON_LIMIT
    seen = Observed()
    parser = JsonParser(lambda document: openai_api.EMBEDDINGS.observe(document, seen, False))
    for start in range(0, len(data), 16384):
        parser.feed(data[start : start + 16384])
    parser.finish()

    assert seen.response_model == "text-embedding-3-large"
    assert openai_api.EMBEDDINGS.usage(seen.raw_usage).input_tokens == 4321


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=3 * 160 * 1024), max_size=12))
def test_large_imagen_body_counts_its_images_wherever_it_is_cut(cuts):
    """Imagen's images are each larger than the tail kept: they are counted as the body goes by,
    a key cut between two pieces included."""
    reply = gemini.handle(
        "/v1/models/imagen-4.0-generate-001:predict",
        {"parameters": {"sampleCount": 3}},
        plan_for({}, None),
    )
    data = reply.body
    assert len(data) > JSON_LIMIT
    seen = Observed()
    api = gemini_api.PREDICT_IMAGES
    parser = JsonParser(lambda document: api.observe(document, seen, False))
    start = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        parser.feed(data[start:cut])
        start = max(start, cut)
    parser.finish()

    assert api.usage(seen.raw_usage).attributes() == {"tokentrace.usage.output_images": 3}


@pytest.mark.parametrize("piece", [7, 16384, 1 << 20])
def test_large_dall_e_body_counts_its_images(piece):
    """A DALL·E answer of base64 images (no usage) too large to keep: its `b64_json` keys are
    counted as the body goes by, a key cut between two pieces included."""
    image = {"b64_json": "iVBORw0KGgo" + "A" * (160 * 1024), "revised_prompt": "A harbour"}
    data = json.dumps({"created": 1, "data": [image] * 2}).encode()
    assert len(data) > JSON_LIMIT
    seen = Observed()
    api = openai_media_api.IMAGES
    parser = JsonParser(lambda document: api.observe(document, seen, False))
    for start in range(0, len(data), piece):
        parser.feed(data[start : start + piece])
    parser.finish()

    assert api.usage(seen.raw_usage).attributes() == {"tokentrace.usage.output_images": 2}


def test_openai_stream_reply_decoded_incrementally_from_gzip():
    reply = openai.handle(
        "/chat/completions",
        {"model": "m", "stream": True, "stream_options": {"include_usage": True}},
        plan_for(HEADERS, None),
    )
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    pieces = [compressor.compress(p) + compressor.flush(zlib.Z_SYNC_FLUSH) for p in reply.pieces]
    decode = decoder_for("gzip")
    seen = Observed()
    parser = SseParser(
        openai_api.CHAT.sse_marker, lambda document: openai_api.CHAT.observe(document, seen, True)
    )
    for piece in pieces:
        parser.feed(decode(piece))

    assert openai_api.CHAT.usage(seen.raw_usage).cache_read_tokens == 300


def test_deflate_zlib_wrapped_and_raw():
    text = b'{"usage": {}}' * 10
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    for compressed in (zlib.compress(text), raw.compress(text) + raw.flush()):
        decode = decoder_for("deflate")
        assert decode(compressed[:5]) + decode(compressed[5:]) == text


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1, "b": [true, null, 2.5, "x\\u00e9"]}',
        b'{"a": 1}  \n',
        b'{"a": 1} x',
        b'{"a": 1}{"b": 2}',
        b'{"a": ',
        b"{",
        b'{"a": NaN, "b": -Infinity}',
        b'{"a": "\\ud800"}',
        b'\xef\xbb\xbf{"a": 1}',
        b'{\x00"\x00a\x00"\x00:\x001\x00}\x00',
        b'  {"a": 1}',
        b"[1, 2]",
        b"",
        b'{"a": "\xff"}',
        # orjson would give floats for integers beyond 64 bits: left to the stdlib
        b'{"seed": 123456789012345678901234567890}',
        b'{"a": 18446744073709551616, "b": -9223372036854775809}',
        b'{"a": 9223372036854775807, "b": -9223372036854775808}',
        b'{"a": 1e400, "b": -1e400, "c": 1e-400, "d": -0, "e": -0.0}',
        b'{"a": 1.00000000000000011102230246251565404236316680908203125}',
        b'{"a": 2.2250738585072011e-308, "b": 9007199254740993}',
        b'{"a": "\x01"}',
        b'{"a": 1, "a": 2}',
        b'{"a": [1,]}',
        b'{"a": 01}',
        b'{"a": "\\ud800\\udc00", "b": "\\u2028"}',
        b'{"a": 1}\x00',
        b'\x0c{"a": 1}',
        b'"text"',
        b"1",
    ],
)
def test_loads_is_json_loads(data):
    assert_loads_is_json_loads(data)


def assert_loads_is_json_loads(data: bytes) -> None:
    """`bodies.loads` gives what `json.loads` gives, or raises what it raises."""
    try:
        expected = json.loads(data)
    except Exception as error:
        with pytest.raises(type(error)) as caught:
            loads(data)
        assert str(caught.value) == str(error)
    else:
        assert repr(loads(data)) == repr(expected)


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=_JSON, ascii_only=st.booleans(), cut=st.integers(min_value=0, max_value=400))
def test_loads_is_json_loads_on_generated_bodies(value, ascii_only, cut):
    """Whole documents (any integer size, any float, any text) and cut-short ones."""
    data = json.dumps({"v": value}, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    for body in (data, data[:cut]):
        assert_loads_is_json_loads(body)
