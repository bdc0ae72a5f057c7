"""Which span and resource attributes become dimensions or tags, and how they are capped.

Dimension columns, each from the first key present (span attributes win over resource
attributes, key by key):

=============  ==========================================================
service        ``service.name``
environment    ``deployment.environment.name``, ``deployment.environment``
team           ``team``
feature        ``feature``
tenant         ``tenant``
user           ``user``, ``user.id``, ``enduser.id``, ``gen_ai.request.user``, ``llm.user``
conversation   ``conversation``, ``gen_ai.conversation.id``, ``session.id``
agent          ``agent``, ``gen_ai.agent.name``
=============  ==========================================================

The Vercel AI SDK's ``ai.telemetry.metadata.*`` keys are read too (``userId`` → user,
``sessionId`` → conversation, …: see ``sources.VERCEL_METADATA_DIMENSIONS``), and its
``ai.telemetry.functionId`` is the feature when none is set; its other metadata keys
become tags without the prefix.

Every other attribute that looks like a tag goes to the ``tags`` map: a scalar value under
a key outside the namespaces of OpenTelemetry's semantic conventions and of the LLM
instrumentation libraries (``gen_ai.*``, ``http.*``, ``llm.*``, ``traceloop.*``, …), so
``customer_tier=gold`` from baggage is a tag and ``http.request.method`` is not.

Caps, so that 10,000 distinct values or a 1 MB string cost nothing more than a short one:

- every dimension and tag value is cut to 256 characters, the last being ``…`` (U+2026)
  so a cut value is visibly cut;
- at most 32 extra tags per row, span attributes first then resource attributes, each
  in the order the sender wrote them; the rest are dropped and counted
  (``tokentrace_tags_dropped_total``);
- tag keys longer than 64 characters are dropped (cutting them could merge two keys).
"""

from __future__ import annotations

MAX_VALUE_CHARS = 256
MAX_EXTRA_TAGS = 32
MAX_KEY_CHARS = 64
TRUNCATION_MARK = "\u2026"

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "service": ("service.name",),
    "environment": ("deployment.environment.name", "deployment.environment"),
    "team": ("team",),
    "feature": ("feature",),
    "tenant": ("tenant",),
    "user": ("user", "user.id", "enduser.id", "gen_ai.request.user", "llm.user"),
    "conversation": ("conversation", "gen_ai.conversation.id", "session.id"),
    "agent": ("agent", "gen_ai.agent.name"),
}

DIMENSION_KEYS = frozenset(key for keys in DIMENSIONS.values() for key in keys)

# First segments (before the first dot) of keys that are telemetry, not tags.
_NOT_TAG_NAMESPACES = frozenset(
    {
        # OpenTelemetry semantic conventions
        "gen_ai", "http", "url", "server", "client", "network", "net", "error", "exception",
        "code", "thread", "user_agent", "rpc", "db", "messaging", "peer", "otel", "telemetry",
        "service", "process", "host", "os", "container", "k8s", "cloud", "faas", "deployment",
        "device", "browser", "webengine", "aws", "azure", "gcp", "heroku", "session", "enduser",
        "user", "event", "log", "feature_flag", "mcp", "tls", "dns", "file", "system",
        # APM span naming (Datadog's, which the Vercel AI SDK sets too)
        "operation", "resource",
        # LLM instrumentation libraries and provider SDKs
        "llm", "tokentrace", "traceloop", "openlit", "openinference", "langchain", "langfuse",
        "lmnr", "logfire", "ai", "input", "output", "metadata", "tag", "openai", "anthropic",
        "cohere", "gemini", "google", "vertex", "mistral", "groq", "bedrock", "ollama",
    }
)  # fmt: skip

_tag_key_cache: dict[str, bool] = {}


def clip(value: str) -> str:
    """``value`` cut to ``MAX_VALUE_CHARS`` characters, marked when cut."""
    if len(value) <= MAX_VALUE_CHARS:
        return value
    return value[: MAX_VALUE_CHARS - 1] + TRUNCATION_MARK


def is_tag_key(key: str) -> bool:
    """True for keys that name a tag rather than telemetry (see the module docstring)."""
    known = _tag_key_cache.get(key)
    if known is None:
        known = bool(key) and key not in DIMENSION_KEYS and not _telemetry_key(key)
        if len(_tag_key_cache) >= 4096:  # bounded: keys can be adversarial too
            _tag_key_cache.clear()
        _tag_key_cache[key] = known
    return known


def _telemetry_key(key: str) -> bool:
    head, dot, _ = key.partition(".")
    return bool(dot) and head.lower() in _NOT_TAG_NAMESPACES
