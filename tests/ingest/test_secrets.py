"""Credentials in span and resource attributes are never stored, and are counted; the store
and the spool are the owner's only."""

from __future__ import annotations

import os
import stat

import pytest

from tokentrace.processor.extract import tags

from .otlp import chat, extract_request, request, span
from .serve_process import ServeProcess
from .test_serve import post

CREDENTIALS = {
    "api_key": "sk-live-1",
    "x-api-key": "sk-live-2",
    "OPENAI_API_KEY": "sk-live-3",
    "authorization": "Bearer abc",
    "password": "hunter2",
    "session_token": "tok-1",
    "Set-Cookie": "sid=1",
    "client_secret": "cs-1",
}
KEPT = {"customer_tier": "gold", "max_tokens": "512", "token_count": "12", "tokenizer": "o200k"}


@pytest.mark.parametrize("key", sorted(CREDENTIALS))
def test_credential_keys_are_secret(key):
    assert tags.key_kind(key) == tags.SECRET


@pytest.mark.parametrize(
    "key", [*sorted(KEPT), "team", "tenant", "user.id", "gen_ai.usage.input_tokens"]
)
def test_tags_dimensions_and_token_counts_are_not(key):
    assert tags.key_kind(key) != tags.SECRET


def test_extraction_drops_and_counts_span_and_resource_credentials():
    message = request(
        span(chat(tenant="acme", **CREDENTIALS, **KEPT)),
        span(chat(tenant="acme", api_key="sk-live-4")),
        resource={"service.name": "svc", "db.password": "pw", "AWS_SECRET_ACCESS_KEY": "k"},
    )
    extraction = extract_request(message)
    assert [call.tags for call in extraction.calls] == [KEPT, {}]
    assert extraction.secrets_dropped == len(CREDENTIALS) + 1 + 2  # resource: once per request


@pytest.mark.slow
def test_serve_stores_no_credential_and_keeps_its_files_private(tmp_path):
    server = ServeProcess(tmp_path).start()
    try:
        body = request(
            span(chat(tenant="acme", **CREDENTIALS, **KEPT)), resource={"authorization": "x"}
        ).SerializeToString()
        assert post(server, body, {"content-type": "application/x-protobuf"})[0] == 200
        metrics = dict(
            line.rsplit(" ", 1)
            for line in server.get("/metrics")[1].decode().splitlines()
            if not line.startswith("#")
        )
        assert float(metrics["tokentrace_secret_attributes_dropped_total"]) == len(CREDENTIALS) + 1
    finally:
        assert server.stop() == 0
    stored = server.stored()["calls"]
    assert [call["tags"] for call in stored] == [KEPT]
    assert not any(value in str(stored) for value in CREDENTIALS.values())
    for root in (tmp_path / "chdb", server.spool_dir):
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
        for directory, subdirectories, files in os.walk(root):
            for name in subdirectories:
                assert stat.S_IMODE(os.stat(os.path.join(directory, name)).st_mode) == 0o700
            for name in files:
                path = os.path.join(directory, name)
                assert stat.S_IMODE(os.lstat(path).st_mode) & 0o077 == 0, path
