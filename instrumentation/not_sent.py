"""Whether a call's error ended it before the request left the application.

A connection that could not be opened (refused, no DNS answer, a connect timeout, a TLS
handshake that failed) carried no request: the provider never saw the call, so its cost is a
known $0, not unknown. The span says so (`NOT_SENT`) and the processor stores it at $0. Any
error once the connection was open (a read timeout, a reset mid-answer) may come after the
provider ran the call: those stay usage-missing, their cost unknown. So does a call an HTTP
library retried (urllib3's `Retry`, under `requests` too) after an attempt that may have
reached the provider, whatever error ends its last attempt (`attempt_may_have_run`).

The HTTP libraries are told apart by the names of their exception classes, so that none of
them is imported here (each is optional).
"""

from __future__ import annotations

NOT_SENT = "tokentrace.request.not_sent"

# HTTP statuses a gateway (an LLM proxy, Cloudflare in front of a provider) answers after it
# passed the call on: the provider may have run it, and billed it, however it failed. 502: an
# invalid answer from upstream, 504: no answer in time (RFC 9110 15.6.3, 15.6.5,
# https://www.rfc-editor.org/rfc/rfc9110#section-15.6.5); 524: Cloudflare connected to the
# origin, which did not answer within 100 s
# (https://developers.cloudflare.com/support/troubleshooting/http-status-codes/cloudflare-5xx-errors/error-524/).
# The processor's rule for a failed call's status too (`extractor`).
MAY_HAVE_RUN = frozenset({502, 504, 524})

_CONNECT_PHASE = frozenset(
    {
        ("httpx", "ConnectError"),
        ("httpx", "ConnectTimeout"),
        ("httpx2", "ConnectError"),
        ("httpx2", "ConnectTimeout"),
        # ClientConnectorDNSError, …CertificateError, …SSLError, ClientProxyConnectionError
        # derive from it: all raised while connecting
        ("aiohttp", "ClientConnectorError"),
        ("aiohttp", "ConnectionTimeoutError"),
        # urllib3's NewConnectionError (and NameResolutionError) derive from it; requests'
        # ConnectionError wraps them in a MaxRetryError (see `_causes`)
        ("urllib3", "ConnectTimeoutError"),
        # http.client connects inside `HTTPConnection.request`: its socket's own errors
        ("builtins", "ConnectionRefusedError"),
        ("socket", "gaierror"),
    }
)


def _connect_phase(error: BaseException) -> bool:
    return any(
        (kind.__module__.partition(".")[0], kind.__qualname__) in _CONNECT_PHASE
        for kind in type(error).__mro__
    )


def _causes(error: BaseException) -> list[BaseException]:
    """`error` and what it wraps: its cause (httpx's `from` httpcore's), urllib3's
    `MaxRetryError.reason` (the last attempt's error), requests' `ConnectionError(MaxRetryError)`
    argument. Not the context: an error raised while handling a connect error may have
    followed a request that was sent."""
    found: list[BaseException] = []
    pending: list[object] = [error]
    while pending and len(found) < 8:
        current = pending.pop()
        if not isinstance(current, BaseException) or current in found:
            continue
        found.append(current)
        pending += [current.__cause__, getattr(current, "reason", None)]
        pending += current.args[:1]
    return found


def not_sent(error: BaseException) -> bool:
    """Whether `error`, which ended a call before any response, was raised while connecting."""
    return any(_connect_phase(cause) for cause in _causes(error))


def attempt_may_have_run(error: BaseException | None, status: int | None) -> bool:
    """Whether an earlier attempt of a retried call may have reached the provider and run:
    it failed once connected (a read timeout, a reset), or was answered with a status a
    gateway gives after passing the call on (`MAY_HAVE_RUN`). A refused connect did not; nor
    did an answer that refused the call (a 429, a 503) or redirected it."""
    if status is not None:
        return status in MAY_HAVE_RUN
    return error is not None and not not_sent(error)
