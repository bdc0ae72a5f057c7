"""One loopback HTTP server that speaks the OpenAI, Anthropic, Gemini, Cohere, Mistral, xAI,
Perplexity, Groq, DeepSeek, Ollama (native), Amazon Bedrock (runtime), Voyage AI and Jina AI
APIs, and llama.cpp's server's and Text Generation Inference's own APIs (`selfhosted`).

Each provider lives under its own path prefix (`/openai/v1`, `/anthropic`, `/gemini`, `/cohere`,
`/mistral/v1`, `/xai/v1`, `/perplexity/v1`, `/groq/openai/v1`, `/deepseek/v1`, `/ollama`,
`/bedrock`, `/voyage/v1`, `/jina/v1`), so a single port serves all of them and
`TOKENTRACE_PROVIDER_URLS` can tell them apart. A request without a prefix (also
absolute-form, as sent to an HTTP proxy) is routed by its path's shape (a rerank path is
Cohere's), which lets tests send
`http://api.deepseek.com/...` through the stand-in as a proxy. Streams are written with chunked
transfer, one HTTP chunk per SSE event (or NDJSON line, or event-stream message); bodies are
compressed with gzip or br when the client accepts it and `compression` asks for it (Bedrock's
event streams never are). Every request is recorded (method, path, headers, body) for tests to
inspect.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import brotli

try:
    from compression.zstd import ZstdCompressor
except ImportError:
    try:
        from backports.zstd import ZstdCompressor
    except ImportError:  # zstd is optional: `compression="zstd"` then needs it installed
        ZstdCompressor = None

from . import (
    anthropic,
    bedrock,
    cohere,
    gemini,
    mistral_audio,
    mistral_ocr,
    ollama,
    openai,
    openai_media,
    selfhosted,
    voyage,
)
from .background import StoredResponses
from .batches import Batches
from .plan import Plan, plan_for
from .reply import Reply

Handler = Callable[[str, dict[str, Any], Plan], Reply]


def _openai(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    if path.split("?", 1)[0].endswith(openai_media.PATHS):
        return openai_media.handle(path, body, plan)
    return openai.handle(path, body, plan)


def _mistral(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    if path.split("?", 1)[0].endswith("/ocr"):
        return mistral_ocr.handle(path, body, plan)
    if path.split("?", 1)[0].endswith("/audio/transcriptions"):
        return mistral_audio.handle(path, body, plan)
    return openai.handle_mistral(path, body, plan)


PROVIDERS: dict[str, tuple[str, Handler]] = {
    # prefix: (gen_ai.provider.name, handler)
    "openai": ("openai", _openai),
    "mistral": ("mistral_ai", _mistral),
    "xai": ("x_ai", openai.handle_xai),
    "perplexity": ("perplexity", openai.handle_perplexity),
    "groq": ("groq", openai.handle_groq),
    "deepseek": ("deepseek", openai.handle_deepseek),
    "cerebras": ("cerebras", openai.handle_cerebras),
    "anthropic": ("anthropic", anthropic.handle),
    "gemini": ("gcp.gemini", gemini.handle),
    "cohere": ("cohere", cohere.handle),
    "ollama": ("ollama", ollama.handle),
    "bedrock": ("aws.bedrock", bedrock.handle),
    "voyage": ("voyageai", voyage.handle_voyage),
    "jina": ("jina_ai", voyage.handle_jina),
}
_BASE_PATHS = {
    "openai": "/openai/v1",
    "mistral": "/mistral/v1",
    "xai": "/xai/v1",
    "perplexity": "/perplexity/v1",
    "groq": "/groq/openai/v1",
    "deepseek": "/deepseek/v1",
    "cerebras": "/cerebras/v1",
    "voyage": "/voyage/v1",
    "jina": "/jina/v1",
}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes


class Standin:
    """A running stand-in server; use as a context manager or call `close()`."""

    def __init__(self, server: ThreadingHTTPServer, compression: str) -> None:
        self._server = server
        self.compression = compression
        """`gzip`, `br`, `zstd` or `none`; used when the request's Accept-Encoding allows it."""
        self.requests: list[RecordedRequest] = []
        self.sent: list[bytes] = []
        """The response bodies as written (compressed, without chunk framing), in order."""
        self.responses = StoredResponses()
        """OpenAI's Responses API responses, kept for retrieves (`background`)."""
        host, port = server.server_address[:2]
        self.root = f"http://{host}:{port}"
        self.batches = Batches(self.root)
        """OpenAI's and Anthropic's batches and OpenAI's files (`batches`)."""
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def base_url(self, prefix: str) -> str:
        """The SDK base URL of `openai`, `mistral`, `xai`, `groq`, `anthropic`, `gemini`,
        `cohere`, `ollama`, `bedrock`, `voyage` or `jina`."""
        return self.root + _BASE_PATHS.get(prefix, f"/{prefix}")

    @property
    def base_urls(self) -> dict[str, str]:
        return {prefix: self.base_url(prefix) for prefix in PROVIDERS}

    def provider_urls(self) -> str:
        """The `TOKENTRACE_PROVIDER_URLS` value that maps every prefix to its provider name."""
        return ",".join(f"{name}={self.root}/{prefix}" for prefix, (name, _) in PROVIDERS.items())

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Standin:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-stream (a test closing a stream early) is not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def start_standin(host: str = "127.0.0.1", port: int = 0, compression: str = "gzip") -> Standin:
    """Starts the stand-in on `host:port` (0 picks a free port) in a daemon thread."""
    server = _Server((host, port), _RequestHandler)
    standin = Standin(server, compression)
    server.standin = standin  # type: ignore[attr-defined]
    return standin


def _handler_for(path: str) -> tuple[str, Handler]:
    """The provider path (prefix removed) and handler of a request path."""
    prefix, _, rest = path.lstrip("/").partition("/")
    if prefix in PROVIDERS:
        return "/" + rest, PROVIDERS[prefix][1]
    if path.endswith("/v1/messages"):
        return path, anthropic.handle
    if path.endswith((":rawPredict", ":streamRawPredict")):
        return path, anthropic.handle_vertex
    if "Content" in path.rsplit("/", 1)[-1] or path.endswith(":predict"):
        return path, gemini.handle
    if path.endswith(
        ("/v2/chat", "/v1/chat", "/v1/embed", "/v2/embed", "/v1/rerank", "/v2/rerank")
    ):
        return path, cohere.handle
    if path.endswith(("/api/chat", "/api/generate", "/api/embed", "/api/embeddings")):
        return path, ollama.handle
    if bedrock.handles(path):
        return path, bedrock.handle
    if path.endswith(selfhosted.PATHS) or path == "/":
        return path, selfhosted.handle
    return path, _openai


_CLIENT_DIALECTS: tuple[tuple[str, Handler], ...] = (
    ("Groq/Python", openai.handle_groq),
    ("Together/Python", openai.handle_together),
    ("Fireworks/Python", openai.handle_fireworks),
    ("Cerebras/Python", openai.handle_cerebras),
    ("mistral-client-python", _mistral),
)
"""SDKs that speak only their own provider's dialect of OpenAI's format, by their User-Agent
(the Stainless SDKs' `{Client}/Python {version}`, mistralai's Speakeasy one): at a base URL
without a provider prefix (an unmapped gateway in front of that provider; the groq SDK's
`/openai/v1/…` at the root) the stand-in answers as that provider does, as under its own
prefix."""


def _client_dialect(user_agent: str) -> Handler:
    """The handler of an OpenAI-shaped request from `user_agent`'s SDK (`_CLIENT_DIALECTS`)."""
    return next((handle for name, handle in _CLIENT_DIALECTS if name in user_agent), _openai)


AZURE_HEADERS = {
    "apim-request-id": "0f6c6a52-1b7e-4c1e-9d3a-5a1f2b3c4d5e",
    "x-ms-region": "East US",
    "x-ms-rai-invoked": "true",
    "azureml-model-session": "d20250925-1-170836423",
}
"""Azure OpenAI's response headers, sent when a request says `x-standin-cloud: azure` (an
Azure OpenAI resource behind a custom domain, whose path is Groq's `/openai/v1/…` too)."""


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # each SSE event leaves at once, as from a real provider

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        standin: Standin = self.server.standin  # type: ignore[attr-defined]
        headers = {name.lower(): value for name, value in self.headers.items()}
        target = urlsplit(self.path)
        standin.requests.append(RecordedRequest("GET", self.path, headers, b""))
        path, handle = _handler_for(target.path)
        reply = _get(standin, handle, path, dict(parse_qsl(target.query)))
        if reply is None:
            reply = Reply(status=404, body=b'{"error":"not found"}')
        self._reply(reply, headers.get("accept-encoding", ""))

    def do_POST(self) -> None:
        standin: Standin = self.server.standin  # type: ignore[attr-defined]
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            body = self._read_chunked()  # a body sent as it is produced (a generator)
        else:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        target = urlsplit(self.path)
        standin.requests.append(RecordedRequest("POST", self.path, headers, body))
        content_type = headers.get("content-type", "")
        try:
            if content_type.startswith("multipart/form-data"):
                document = _form_fields(body, content_type)
            else:
                document = json.loads(body) if body else {}
        except ValueError:
            document = {}
        if not isinstance(document, dict):
            document = {}  # the handlers read fields of a JSON object only
        plan = plan_for(headers, document)
        if plan.delay:
            time.sleep(plan.delay)
        path, handle = _handler_for(target.path)
        if target.query:
            path += "?" + target.query
        reply = None
        if handle is _openai:
            reply = _stateful_openai(standin, path, headers, document, plan, body)
        elif handle is anthropic.handle and path.endswith("/messages/batches"):
            reply = standin.batches.create_anthropic(headers, document)
        elif handle is gemini.handle and ":batchGenerateContent" in path:
            reply = standin.batches.create_gemini(path, headers, document)
        if reply is None:
            if handle is _openai:
                handle = _client_dialect(headers.get("user-agent", ""))
            reply = handle(path, document, plan)
        reply.headers.update(plan.cost_headers())
        if headers.get("x-standin-cloud") == "azure":
            reply.headers.update(AZURE_HEADERS)
        self._reply(reply, headers.get("accept-encoding", ""))

    def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():  # trailers, then the blank line
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _reply(self, reply: Reply, accept_encoding: str) -> None:
        standin: Standin = self.server.standin  # type: ignore[attr-defined]
        encoding = standin.compression if standin.compression in accept_encoding else "none"
        if not reply.compressible:
            encoding = "none"
        self.send_response(reply.status)
        self.send_header("content-type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if encoding != "none":
            self.send_header("content-encoding", encoding)
        if reply.pieces is None:
            body = _compress_whole(reply.body or b"", encoding)
            standin.sent.append(body)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        compressor = _Compressor(encoding)
        pieces = reply.pieces[: len(reply.pieces) // 2] if reply.cut else reply.pieces
        written = [compressor.piece(piece) for piece in pieces]
        if not reply.cut:
            written.append(compressor.end())
        standin.sent.append(b"".join(written))
        for data in written:
            self._chunk(data)
        if reply.cut:
            self.close_connection = True
            return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()


def _get(standin: Standin, handle: Handler, path: str, query: dict[str, str]) -> Reply | None:
    """The answer of a GET (what the server keeps: responses, batches, files), or None."""
    head, _, ident = path.rpartition("/")
    if handle is _openai:
        if head.endswith("/responses"):
            return standin.responses.retrieve(ident, query)
        if head.endswith("/batches"):
            return standin.batches.retrieve_openai(ident)
        if ident == "content":
            return standin.batches.content(head.rpartition("/")[2])
    if handle is gemini.handle and head.endswith("/batches"):
        return standin.batches.retrieve_gemini("batches/" + ident)
    if handle is anthropic.handle:
        if head.endswith("/messages/batches"):
            return standin.batches.retrieve_anthropic(ident)
        if ident == "results":
            return standin.batches.results(head.rpartition("/")[2])
    return None


def _stateful_openai(
    standin: Standin,
    path: str,
    headers: dict[str, str],
    body: dict[str, Any],
    plan: Plan,
    raw: bytes,
) -> Reply | None:
    """The answer of an OpenAI request that the server keeps state for (a Responses API
    response, a background response's cancel, a file, a batch), or None."""
    path = path.split("?", 1)[0]
    if path.endswith("/files"):
        return standin.batches.upload(raw, headers.get("content-type", ""))
    if path.endswith("/batches"):
        return standin.batches.create_openai(headers, body)
    if path.endswith("/responses/compact") and not plan.fail:
        return openai.compact(body, plan)
    if path.endswith("/responses") and not plan.fail:
        model = openai.dated(str(body.get("model", "gpt-4o-mini")))
        return standin.responses.create(headers, body, plan, model)
    head, _, ident = path.removesuffix("/cancel").rpartition("/")
    if path.endswith("/cancel") and head.endswith("/responses"):
        return standin.responses.cancel(ident)
    return None


def _form_fields(body: bytes, content_type: str) -> dict[str, Any]:
    """A multipart form's text fields (uploads such as `/audio/transcriptions`), by name."""
    head = b"content-type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and part.get_filename() is None:
            fields[name] = part.get_payload(decode=True).decode("utf-8", "replace")
    return fields


def _compress_whole(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return compressor.compress(body) + compressor.flush()
    if encoding == "br":
        return brotli.compress(body)
    if encoding == "zstd":
        return ZstdCompressor().compress(body, ZstdCompressor.FLUSH_FRAME)
    return body


class _Compressor:
    """Compresses a stream piece by piece, flushing each so that events arrive as sent."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        if encoding == "gzip":
            self._gzip = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        elif encoding == "br":
            self._br = brotli.Compressor()
        elif encoding == "zstd":
            self._zstd = ZstdCompressor()

    def piece(self, data: bytes) -> bytes:
        if self._encoding == "gzip":
            return self._gzip.compress(data) + self._gzip.flush(zlib.Z_SYNC_FLUSH)
        if self._encoding == "br":
            return self._br.process(data) + self._br.flush()
        if self._encoding == "zstd":
            return self._zstd.compress(data, ZstdCompressor.FLUSH_BLOCK)
        return data

    def end(self) -> bytes:
        if self._encoding == "gzip":
            return self._gzip.flush()
        if self._encoding == "br":
            return self._br.finish()
        if self._encoding == "zstd":
            return self._zstd.flush(ZstdCompressor.FLUSH_FRAME)
        return b""
