"""A `requests` request or response seen the way `routing.route` and `LLMCall` see httpx's.

Those read a request's `method`, `url` (`scheme`, `host`, `port`, decoded `path`, `query` as
bytes, `params`), `content` and `headers` (`headers.entries`: `(raw name, lowercased name,
value)`; `pop` to strip `baggage`; `get` for a gateway's cost header), and a response's
`status_code` and `headers`. A view is made only for a POST, and its URL is parsed only when
`routing` has not seen the URL before (it caches each URL's answer by its text), so a request
on another path pays one small object and one dict lookup. `TOKENTRACE_STREAM_USAGE=inject`
replaces the body through the view (`stream`, `headers["content-length"]`), which writes it
into the `PreparedRequest` about to be sent.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .headers import Entries


class HeadersView:
    """`requests`' `CaseInsensitiveDict` of headers, with the `_list` entries that
    `headers.entries` reads (values may be str or bytes in `requests`). They are read from the
    dict's `_store` (lowercased name: (name, value)) when it has one: its `items()` goes through
    `Mapping`'s Python view, and lowering each name again doubled the cost (9.6 µs for a
    request's seven headers, 3.8 µs from `_store`, at load 15)."""

    __slots__ = ("_headers", "_list")

    def __init__(self, headers: Any) -> None:
        self._headers = headers
        store = getattr(headers, "_store", None)
        if not isinstance(store, dict):
            self._list = [_entry(name, value) for name, value in headers.items()]
            return
        found: Entries = []
        for key, (name, value) in store.items():
            if type(key) is not str or type(name) is not str:
                found.append(_entry(name, value))
                continue
            low = key.encode("latin-1", "replace")
            found.append(
                (
                    low if name == key else name.encode("latin-1", "replace"),
                    low,
                    value if type(value) is bytes else str(value).encode("latin-1", "replace"),
                )
            )
        self._list = found

    def get(self, name: str, default: Any = None) -> Any:
        value = self._headers.get(name, default)
        return value.decode("latin-1") if isinstance(value, bytes) else value

    def pop(self, name: str, default: Any = None) -> Any:
        return self._headers.pop(name, default)

    def __setitem__(self, name: str, value: str) -> None:
        """`stream_usage.inject` sets the new body's `content-length`."""
        self._headers[name] = value


def _entry(name: str | bytes, value: str | bytes) -> tuple[bytes, bytes, bytes]:
    raw = name if isinstance(name, bytes) else name.encode("latin-1", "replace")
    data = value if isinstance(value, bytes) else str(value).encode("latin-1", "replace")
    return raw, raw.lower(), data


class UrlView:
    """A `PreparedRequest.url` (already normalised and IDNA-encoded by `requests`), parsed on
    first use. `path` is percent-decoded, as httpx's `URL.path` is."""

    def __init__(self, text: str) -> None:
        self._text = text

    def __str__(self) -> str:
        return self._text

    @cached_property
    def _parts(self) -> Any:
        return urlsplit(self._text)

    @property
    def scheme(self) -> str:
        return self._parts.scheme

    @property
    def host(self) -> str:
        return self._parts.hostname or ""

    @property
    def port(self) -> int | None:
        return self._parts.port

    @property
    def path(self) -> str:
        return unquote(self._parts.path)

    @property
    def query(self) -> bytes:
        return self._parts.query.encode("latin-1", "replace")

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self._parts.query))


class RequestView:
    """A `requests.PreparedRequest` for `route()` and `LLMCall.start()`."""

    def __init__(self, prepared: Any) -> None:
        self.prepared = prepared
        self.method = prepared.method
        url = prepared.url
        self.url = UrlView(url.decode("utf-8") if isinstance(url, bytes) else url)

    @cached_property
    def content(self) -> bytes:
        """The body as bytes: b"" for a streamed upload (a file or generator), whose bytes are
        not read before it is sent, and for a multipart form (`form`), which is not JSON."""
        body = self.prepared.body
        if isinstance(body, bytes):
            return b"" if body.startswith(b"--") else body
        if isinstance(body, str):
            return body.encode("utf-8")
        return b""

    @property
    def form(self) -> bytes | None:
        """A multipart body (`files=`), which `requests` encodes in memory: its first line is
        its boundary (`--…`), where a JSON body starts with `{`."""
        body = self.prepared.body
        return body if isinstance(body, bytes) and body.startswith(b"--") else None

    @property
    def streamed(self) -> bool:
        """The body is a generator or a file object, read as it is sent
        (`request_body.streamed`)."""
        body = self.prepared.body
        return body is not None and not isinstance(body, (bytes, str))

    @property
    def stream(self) -> bytes:
        """The body as `stream_usage.inject` replaces it: `type(request.stream)(new)`."""
        return self.content

    @stream.setter
    def stream(self, body: bytes) -> None:
        self.prepared.body = body
        self.__dict__["content"] = body

    @cached_property
    def headers(self) -> HeadersView:
        return HeadersView(self.prepared.headers)


class ResponseView:
    """A `requests.Response`'s status and headers for `LLMCall.on_response`."""

    __slots__ = ("headers", "status_code")

    def __init__(self, response: Any) -> None:
        self.status_code = response.status_code
        self.headers = HeadersView(response.headers)
