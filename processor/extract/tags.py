"""Which span and resource attributes become dimensions or tags, and how they are capped.

Dimension columns, each from the first key present (span attributes win over resource
attributes, key by key):

=============  ==========================================================
service        ``service.name``
environment    ``deployment.environment.name``, ``deployment.environment``
team           ``team``
feature        ``feature``
tenant         ``tenant``
user           ``user``, ``user.id``, ``enduser.id``, ``gen_ai.request.user``, ``llm.user``,
               Laminar's ``lmnr.association.properties.user_id``
conversation   ``conversation``, ``gen_ai.conversation.id``, ``session.id``, Laminar's
               ``lmnr.association.properties.session_id``, VoltAgent's ``conversation.id``,
               Google ADK's ``gcp.vertex.agent.session_id`` (on its model call spans)
agent          ``agent``, ``gen_ai.agent.name``
=============  ==========================================================

The Vercel AI SDK's ``ai.telemetry.metadata.*``, OpenLLMetry's
``traceloop.association.properties.*``, Laminar's ``lmnr.association.properties.metadata.*``
and MLflow's ``mlflow.traceTag.*`` keys are read
too (``userId`` → user, ``sessionId`` → conversation, …: see
``sources.METADATA_DIMENSIONS``), and Vercel's ``ai.telemetry.functionId`` is the
feature when none is set; their other metadata keys become tags without the prefix.

Every other attribute that looks like a tag goes to the ``tags`` map: a scalar value under
a key outside the namespaces of OpenTelemetry's semantic conventions and of the LLM
instrumentation libraries (``gen_ai.*``, ``http.*``, ``llm.*``, ``traceloop.*``,
``mlflow.*``, …, and ``langfuse_…``-style keys of those libraries), so
``customer_tier=gold`` from baggage is a tag and ``http.request.method`` is not. A string
holding a structure (it starts with ``{`` or ``[``: JSON, or a Python literal) is not a tag
either: instrumentations put whole requests and responses under plain keys (Logfire's
``request_data``, LiteLLM's ``hidden_params``, Pydantic AI's ``model_request_parameters``),
and a tag is a label to group by, never a prompt.

Caps, so that 10,000 distinct values or a 1 MB string cost nothing more than a short one:

- every dimension and tag value is cut to 256 characters, the last being ``…`` (U+2026)
  so a cut value is visibly cut;
- at most 32 extra tags per row, span attributes first then resource attributes, each
  in the order the sender wrote them; the rest are dropped and counted
  (``tokentrace_tags_dropped_total``);
- tag keys longer than 64 characters are dropped (cutting them could merge two keys).

Attributes whose key looks like a credential are never stored, and are counted
(``tokentrace_secret_attributes_dropped_total``): instrumentation and baggage sometimes copy
request headers or configuration into spans. A key is a credential when one of its words
(split at punctuation and camelCase) contains ``key``, ``secret``, ``password``,
``passwd``, ``passphrase``, ``credential``, ``cookie`` or ``authorization``, is ``auth``,
``pwd``, ``bearer`` or ``jwt``, or contains ``token`` without being a token count
(``tokens``, ``token_count``, ``tokenizer``). So ``api_key``, ``x-api-key``,
``OPENAI_API_KEY``, ``session_token`` and ``Set-Cookie`` go, ``max_tokens`` stays. The rule
errs towards dropping: a tag that merely contains ``key`` (``monkey``) goes too. Dimension
keys are exempt: each is read into its column by rules of its own (a key dimension would
store a fingerprint, never the key).
"""

from __future__ import annotations

import re

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
    "user": (
        "user",
        "user.id",
        "enduser.id",
        "gen_ai.request.user",
        "llm.user",
        "lmnr.association.properties.user_id",
    ),
    "conversation": (
        "conversation",
        "gen_ai.conversation.id",
        "session.id",
        "lmnr.association.properties.session_id",
        "conversation.id",
        "gcp.vertex.agent.session_id",
    ),
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
        "litellm", "mlflow",
    }
)  # fmt: skip
# Libraries that also name keys of their own with an underscore (Langfuse puts
# ``langfuse_trace_id`` in the baggage, whence other instrumentations copy it to spans).
_LIBRARY_HEADS = ("langfuse_", "mlflow_", "litellm_", "traceloop_", "openinference_", "logfire_")

_SECRET_PARTS = (
    "key", "secret", "password", "passwd", "passphrase", "credential", "cookie",
    "authorization",
)  # fmt: skip
_SECRET_WORDS = frozenset({"auth", "pwd", "bearer", "jwt"})
_COUNT_WORDS = frozenset({"count", "counts", "usage", "limit", "budget"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

# What a key is, once decided: TAG, TELEMETRY (not a tag) or SECRET (never stored).
TAG, TELEMETRY, SECRET = 0, 1, 2
_key_kinds: dict[str, int] = {}


def is_label(text: str) -> bool:
    """False for a value that holds a structure (see the module docstring)."""
    return text.lstrip()[:1] not in ("{", "[")


def clip(value: str) -> str:
    """``value`` cut to ``MAX_VALUE_CHARS`` characters, marked when cut."""
    if len(value) <= MAX_VALUE_CHARS:
        return value
    return value[: MAX_VALUE_CHARS - 1] + TRUNCATION_MARK


def key_kind(key: str) -> int:
    """:data:`TAG`, :data:`TELEMETRY` or :data:`SECRET` (see the module docstring)."""
    kind = _key_kinds.get(key)
    if kind is None:
        if key in DIMENSION_KEYS:  # read into a column by its own rules, never a tag
            kind = TELEMETRY
        elif looks_secret(key):
            kind = SECRET
        elif key and not _telemetry_key(key):
            kind = TAG
        else:
            kind = TELEMETRY
        if len(_key_kinds) >= 4096:  # bounded: keys can be adversarial too
            _key_kinds.clear()
        _key_kinds[key] = kind
    return kind


def looks_secret(key: str) -> bool:
    """True for a key that names a credential (see the module docstring for the rule)."""
    words = [word.lower() for word in _WORD.findall(key)]
    for index, word in enumerate(words):
        if word in _SECRET_WORDS or any(part in word for part in _SECRET_PARTS):
            return True
        if "token" in word and not word.endswith("tokens") and not word.startswith("tokeniz"):
            following = words[index + 1] if index + 1 < len(words) else ""
            if following not in _COUNT_WORDS:
                return True
    return False


def _telemetry_key(key: str) -> bool:
    head, dot, _ = key.partition(".")
    if dot:
        return head.lower() in _NOT_TAG_NAMESPACES
    return key.lower().startswith(_LIBRARY_HEADS)
