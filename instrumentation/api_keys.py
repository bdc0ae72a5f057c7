"""The `api_key` dimension: which credential a call used, never the credential itself.

A fingerprint is the provider's usual redacted form (the key's prefix, `…`, its last four
characters: `sk-proj-…abcd`, as the OpenAI and Anthropic consoles list keys) plus a short
salted hash (`#` and 8 hex digits of HMAC-SHA256), so two keys with the same last four
characters stay apart and a short key is not shown at all. `TOKENTRACE_API_KEY_SALT` sets the
salt; give every service the same one so that one key has one fingerprint everywhere.
Fingerprints are cached per key, so the hash is computed once per key and process.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Any

from .headers import Entries, entries

SALT_ENV = "TOKENTRACE_API_KEY_SALT"
DEFAULT_SALT = "tokentrace"

_HEADERS = frozenset({b"authorization", b"x-api-key", b"api-key", b"x-goog-api-key"})
"""Where SDKs put the key: OpenAI-style `Authorization: Bearer`, Anthropic `x-api-key`, Azure
`api-key`, Gemini `x-goog-api-key` (or the `key` query parameter); AWS SigV4's access key id."""

_PREFIX = re.compile(r"^(?:[A-Za-z0-9]{1,12}[-_]){1,3}")
_SHORTEST_SHOWN = 16
"""Keys shorter than this show no characters at all, only the hash."""

_cache: dict[str, str] = {}
_CACHED = 1024


_by_header: dict[tuple[bytes, bytes], str | None] = {}
"""Each credential header's answer by raw name and value: its key's fingerprint, "" for an
empty key (no fingerprint, and no other header is looked at), None when it carries no key."""
_MISSING = object()


def request_fingerprint(request: Any, found: Entries | None = None) -> str | None:
    """The fingerprint of the credential an httpx/httpx2 request carries, or None. `found`: the
    request headers' `entries`, when the caller has them. One pass over the headers (four
    `headers.get` calls would decode every header four times); the answer of each credential
    header is cached (an application sends a handful of keys): decoding and splitting
    `Authorization: Bearer ...` on every call cost 5 k instructions under callgrind."""
    for _, name, value in entries(request.headers) if found is None else found:
        if name not in _HEADERS or not value:
            continue
        cached = _by_header.get((name, value), _MISSING)
        if cached is _MISSING:
            key = _header_key(name, value)
            cached = None if key is None else fingerprint(key) if key else ""
            if not value.startswith(_SIGV4_BYTES):  # unique per request: not worth keeping
                if len(_by_header) >= _CACHED:
                    _by_header.clear()
                _by_header[(name, value)] = cached
        if cached is None:
            continue
        return cached or None
    key = _query_key(request)
    return fingerprint(key) if key else None


def _header_key(name: bytes, value: bytes) -> str | None:
    """The credential in one of `_HEADERS` (possibly ""), None when it carries none."""
    text = value.decode("latin-1").strip()
    if name == b"authorization":
        scheme, _, token = text.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        if scheme == _SIGV4:
            return _access_key_id(token)
        return None
    return text


_SIGV4 = "AWS4-HMAC-SHA256"
_SIGV4_BYTES = _SIGV4.encode()
"""AWS Signature Version 4 (Amazon Bedrock through boto3's signer, `AnthropicBedrock`, LiteLLM):
`Credential=AKIA…/20261202/us-east-1/bedrock/aws4_request, SignedHeaders=…, Signature=…`. The
header changes with every request (date, signature); the access key id names the credential."""


def _access_key_id(token: str) -> str | None:
    start = token.find("Credential=")
    if start < 0:
        return None
    start += len("Credential=")
    end = token.find("/", start)
    return token[start:end].strip() if end > start else None


def _query_key(request: Any) -> str | None:
    """The Gemini-style `key` query parameter, or None."""
    if b"key=" not in request.url.query:
        return None
    return request.url.params.get("key") or None


def fingerprint(key: str, salt: str | None = None) -> str:
    """`sk-…abcd#1a2b3c4d`: redacted form plus salted hash; never reversible to the key."""
    if salt is None:
        cached = _cache.get(key)
        if cached is not None:
            return cached
    secret = (salt if salt is not None else os.environ.get(SALT_ENV) or DEFAULT_SALT).encode()
    digest = hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()[:8]
    if len(key) >= _SHORTEST_SHOWN:
        match = _PREFIX.match(key)
        prefix = match.group(0) if match and len(match.group(0)) <= len(key) - 12 else key[:3]
        shown = f"{prefix}…{key[-4:]}#{digest}"
    else:
        shown = f"…#{digest}"
    if salt is None:
        if len(_cache) >= _CACHED:
            _cache.clear()
        _cache[key] = shown
    return shown
