"""An aiohttp request or response seen the way `routing.route` and `LLMCall` see httpx's.

Those read a request's `method`, `url` (`scheme`, `host`, `port`, decoded `path`, `query` as
bytes, `params`), `content` and `headers` (`headers.entries`: `(raw name, lowercased name,
value)`; `pop` to strip `baggage`; `get`), and a response's `status_code` and `headers`, as
`requests_views` does for `requests`. An aiohttp `ClientRequest` is final when our middleware
sees it (`aiohttp_send`): its headers are a `CIMultiDict` of str, its body a `Payload` whose
bytes are at hand for JSON, bytes and str bodies (`BytesPayload`); a form or a streamed upload
reads as b"". A response's headers are read from `raw_headers`, the bytes as received.
`TOKENTRACE_STREAM_USAGE=inject` replaces the body through the view (`stream`).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from .headers import Entries


class HeadersView:
    """A request's `CIMultiDict` with the `_list` entries that `headers.entries` reads."""

    __slots__ = ("_headers", "_list")

    def __init__(self, headers: Any) -> None:
        self._headers = headers
        found: Entries = []
        for name, value in headers.items():
            raw = name.encode("latin-1", "replace")
            found.append((raw, raw.lower(), value.encode("latin-1", "replace")))
        self._list = found

    def get(self, name: str, default: Any = None) -> Any:
        return self._headers.get(name, default)

    def pop(self, name: str, default: Any = None) -> Any:
        """Every header of that name (`baggage` may be repeated), as httpx's `pop` does."""
        return self._headers.popall(name, default)

    def __setitem__(self, name: str, value: str) -> None:
        """`stream_usage.inject` sets the new body's `content-length`."""
        self._headers[name] = value


class UrlView:
    """A yarl `URL` (`ClientRequest.url`): its `path` is decoded, as httpx's is. The URL is
    also its `_uri_reference`, which `routing` caches each URL's answer by (its scheme, host,
    port and path, read from the URL's own caches): `str(url)` builds the text anew, 0.7 µs."""

    __slots__ = ("_uri_reference", "_url")

    def __init__(self, url: Any) -> None:
        self._url = self._uri_reference = url

    def __str__(self) -> str:
        return str(self._url)

    @property
    def scheme(self) -> str:
        return self._url.scheme

    @property
    def host(self) -> str:
        return self._url.host or ""

    @property
    def port(self) -> int | None:
        return self._url.port

    @property
    def path(self) -> str:
        return self._url.path

    @property
    def query(self) -> bytes:
        return self._url.raw_query_string.encode("latin-1", "replace")

    @property
    def params(self) -> dict[str, str]:
        return dict(self._url.query)


class RequestView:
    """An aiohttp `ClientRequest` for `route()` and `LLMCall.start()`."""

    def __init__(self, request: Any) -> None:
        self.request = request
        self.method = request.method
        self.url = UrlView(request.url)

    @cached_property
    def content(self) -> bytes:
        value = getattr(self.request.body, "_value", None)
        return value if isinstance(value, bytes) else b""

    @property
    def stream(self) -> bytes:
        """The body as `stream_usage.inject` replaces it: `type(request.stream)(new)`."""
        return self.content

    @stream.setter
    def stream(self, body: bytes) -> None:
        self.request.body = body
        self.__dict__["content"] = body

    @cached_property
    def headers(self) -> HeadersView:
        return HeadersView(self.request.headers)


class ResponseHeaders:
    """A `ClientResponse`'s headers: `get` from its `CIMultiDictProxy`, entries from
    `raw_headers`."""

    __slots__ = ("_headers", "_list")

    def __init__(self, response: Any) -> None:
        self._headers = response.headers
        self._list = [(name, name.lower(), value) for name, value in response.raw_headers]

    def get(self, name: str, default: Any = None) -> Any:
        return self._headers.get(name, default)


class ResponseView:
    """A `ClientResponse`'s status and headers for `LLMCall.on_response`."""

    __slots__ = ("headers", "status_code")

    def __init__(self, response: Any) -> None:
        self.status_code = response.status
        self.headers = ResponseHeaders(response)
