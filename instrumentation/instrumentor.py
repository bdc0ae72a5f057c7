"""`LLMInstrumentor`: one GenAI `CLIENT` span per LLM API call made with httpx, httpx2,
`requests` or aiohttp.

Shaped like the OpenTelemetry contrib instrumentors (`BaseInstrumentor`, `_instrument`,
`_uninstrument`) and registered under the `opentelemetry_instrumentor` entry point as
`tokentrace`, so `opentelemetry-instrument python app.py` loads it with no code change and
`OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=tokentrace` turns it off. Programmatic use:
`LLMInstrumentor().instrument(tracer_provider=provider)`; `uninstrument()` restores httpx.

The openai (3.x) and anthropic (2.x) SDKs send through httpx2, google-genai through httpx2 by
default or httpx; both libraries are patched when importable. See `send` for where, and why.
`Response.json` is wrapped too, so that an SDK's parse of a JSON answer reuses the call's
(`json_handover`). `requests` (huggingface_hub, older SDKs, LangChain community integrations,
apps posting to `/v1/chat/completions` themselves) is patched when importable, at
`HTTPAdapter.send`: see `requests_send`. aiohttp 3.12+ (the together SDK's and LiteLLM's
aiohttp transports, LangChain community integrations, apps posting with a `ClientSession`) is
patched when importable, at `ClientSession._request`, which adds a client middleware of ours:
see `aiohttp_send`. urllib3 2.x itself (boto3/botocore, `PoolManager`s, niquests' sync calls):
see `urllib3_send`; `http.client` used directly (`urllib.request`): see `http_client_send`.
The OpenAI Realtime API's WebSockets (`websockets`' client connections): see `realtime`.
Google's SDKs' gRPC channels to Vertex AI and the Gemini API are not metered, but said so
with the REST setting that is: see `grpc_channels`.

Anthropic SDK tracing: anthropic>=2 has its own tracing (`anthropic/_tracing.py`), on by default
and recording whenever OpenTelemetry has a real tracer provider (the global one, or the
client's `open_telemetry={"tracer_provider": ...}`); `ANTHROPIC_OPEN_TELEMETRY=false` or
`open_telemetry=False` turn it off. Its `anthropic.messages.create` span carries usage only when
the SDK parses the body itself (not for raw-byte reads). We do not defer to it: our span is
always emitted, as the child of the SDK span, and marked `tokentrace.duplicate_of=<SDK span id
in hex>` (both also share `gen_ai.response.id`), so the processor counts the pair once and can
prefer our usage, which is read from every byte.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
from collections.abc import Collection
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
from opentelemetry.trace import get_tracer, get_tracer_provider

from . import config, endpoints, grpc_channels, realtime
from .budget_guard import BudgetGuard
from .json_handover import json_handover, requests_json_handover
from .patching import patch, unpatch
from .providers import parse_provider_urls
from .requests_send import send_wrapper
from .send import async_wrapper, sync_wrapper
from .streams import tee_classes

logger = logging.getLogger("tokentrace.instrumentation")

HTTP_MODULES = ("httpx", "httpx2")

try:
    __version__ = version("tokentrace")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0"


class LLMInstrumentor(BaseInstrumentor):
    """Instruments LLM API calls made through httpx/httpx2 (sync and async clients),
    `requests`, aiohttp, urllib3 and `http.client`."""

    _patched: tuple[Any, ...] = ()
    _requests: Any = None
    _aiohttp: Any = None
    _urllib3: Any = None
    _http_client: Any = None
    _urllib3_async: Any = None
    _requests_json: Any = None
    _guard: BudgetGuard | None = None
    _realtime: tuple[tuple[type, str], ...] = ()
    _grpc: tuple[Any, ...] = ()

    def instrumentation_dependencies(self) -> Collection[str]:
        # Any of httpx, httpx2, requests or aiohttp will do, which a requirement list cannot say;
        # `_instrument` patches whichever is importable.
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        """Keyword arguments: `tracer_provider`; `provider_urls`, a string in the format of
        `TOKENTRACE_PROVIDER_URLS` that replaces the environment variable."""
        if not config.instrumentation_enabled():
            logger.info("tokentrace instrumentation disabled by %s", config.ENABLED_ENV)
            return
        tracer_provider = kwargs.get("tracer_provider") or get_tracer_provider()
        tracer = get_tracer(__name__, __version__, tracer_provider, schema_url=None)
        if not endpoints.track(tracer_provider):
            logger.info("no SDK tracer provider: calls carry no endpoint")
        urls = kwargs.get("provider_urls")
        try:
            mapped = parse_provider_urls(config.provider_urls() if urls is None else urls)
        except ValueError as error:
            logger.error("ignoring %s: %s", config.PROVIDER_URLS_ENV, error)
            mapped = ()
        guard = config.budget_guard()
        if guard is not None:
            guard.start()
        self._guard = guard
        settings = config.Settings(mapped, config.inject_stream_usage(), guard)
        patched = []
        for name in HTTP_MODULES:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            tees = tee_classes(module)
            patch(module.Client, "_send_single_request", sync_wrapper(tracer, settings, tees))
            patch(module.AsyncClient, "_send_single_request", async_wrapper(tracer, settings, tees))
            patch(module.Response, "json", json_handover)
            patched.append(module)
        self._patched = tuple(patched)
        self._instrument_requests(tracer, settings)
        self._instrument_aiohttp(tracer, settings)
        self._instrument_urllib3(tracer, settings)
        self._instrument_http_client(tracer, settings)
        self._realtime = realtime.install(tracer, settings)
        self._grpc = grpc_channels.install()

    def _instrument_requests(self, tracer: Any, settings: config.Settings) -> None:
        try:
            adapters = importlib.import_module("requests.adapters")
        except ImportError:
            return
        patch(adapters.HTTPAdapter, "send", send_wrapper(tracer, settings))
        models = importlib.import_module("requests.models")
        if getattr(models, "complexjson", None) is json:  # not simplejson: see json_handover
            patch(models.Response, "json", requests_json_handover)
            self._requests_json = models.Response
        self._requests = adapters

    def _instrument_aiohttp(self, tracer: Any, settings: config.Settings) -> None:
        try:
            client = importlib.import_module("aiohttp.client")
        except ImportError:
            return
        if importlib.util.find_spec("aiohttp.client_middlewares") is None:
            logger.info(
                "aiohttp older than 3.12 (no client middlewares): its calls are not metered"
            )
            return
        from .aiohttp_send import request_wrapper  # imports aiohttp

        raw = settings
        if settings.inject_stream_usage:
            raw = config.Settings(settings.mapped, False, settings.guard)
        patch(client.ClientSession, "_request", request_wrapper(tracer, settings, raw))
        self._aiohttp = client

    def _instrument_urllib3(self, tracer: Any, settings: config.Settings) -> None:
        try:
            pools = importlib.import_module("urllib3.connectionpool")
        except ImportError:
            return
        from urllib3 import __version__ as urllib3_version

        if int(urllib3_version.split(".", 1)[0]) < 2:
            logger.info("urllib3 older than 2.0: calls made with it alone are not metered")
            return
        from .urllib3_send import install

        raw = settings
        if settings.inject_stream_usage:  # not applied to urllib3 (`urllib3_send`)
            raw = config.Settings(settings.mapped, False, settings.guard)
        install(pools.HTTPConnectionPool, tracer, raw)
        self._urllib3 = pools
        self._instrument_urllib3_async(tracer, raw)

    def _instrument_urllib3_async(self, tracer: Any, settings: config.Settings) -> None:
        """urllib3-future's async pools (niquests' `AsyncSession`), where urllib3 is
        urllib3-future, as niquests installs it (else `urllib3_future`)."""
        for package in ("urllib3", "urllib3_future"):
            try:
                pools = importlib.import_module(package + "._async.connectionpool")
                responses = importlib.import_module(package + "._async.response")
            except ImportError:
                continue
            from .urllib3_async_send import install

            install(pools.AsyncHTTPConnectionPool, responses.AsyncHTTPResponse, tracer, settings)
            self._urllib3_async = pools
            return

    def _instrument_http_client(self, tracer: Any, settings: config.Settings) -> None:
        import http.client

        from .http_client_send import install

        raw = settings
        if settings.inject_stream_usage:  # not applied to http.client (`http_client_send`)
            raw = config.Settings(settings.mapped, False, settings.guard)
        install(http.client.HTTPConnection, tracer, raw)
        self._http_client = http.client.HTTPConnection

    def _uninstrument(self, **kwargs: Any) -> None:
        for module in self._patched:
            unpatch(module.Client, "_send_single_request")
            unpatch(module.AsyncClient, "_send_single_request")
            unpatch(module.Response, "json")
        self._patched = ()
        if self._requests is not None:
            unpatch(self._requests.HTTPAdapter, "send")
            self._requests = None
        if self._requests_json is not None:
            unpatch(self._requests_json, "json")
            self._requests_json = None
        if self._aiohttp is not None:
            unpatch(self._aiohttp.ClientSession, "_request")
            self._aiohttp = None
        if self._urllib3 is not None:
            unpatch(self._urllib3.HTTPConnectionPool, "urlopen")
            self._urllib3 = None
        if self._urllib3_async is not None:
            unpatch(self._urllib3_async.AsyncHTTPConnectionPool, "urlopen")
            self._urllib3_async = None
        if self._http_client is not None:
            unpatch(self._http_client, "request")
            self._http_client = None
        realtime.uninstall(self._realtime)
        self._realtime = ()
        grpc_channels.uninstall(self._grpc)
        self._grpc = ()
        if self._guard is not None:
            self._guard.stop()
            self._guard = None
