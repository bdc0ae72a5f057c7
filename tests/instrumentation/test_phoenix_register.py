"""tokentrace's instrumentation on Arize Phoenix's tracer provider (``phoenix.otel.register``),
the real package, exporting over OTLP/HTTP to a receiver here.

Phoenix's provider removes its default span processor, the one that exports, when another
span processor is added to it: tokentrace added its endpoint tracker that way, so every span,
tokentrace's and the OpenInference instrumentations' alike, was lost.
"""

from __future__ import annotations

import openai
from phoenix.otel import register

from tokentrace.instrumentation import LLMInstrumentor

from .test_autoinstrument import attributes_of, receiver  # noqa: F401 (a fixture)


def test_phoenix_register_keeps_exporting(standin, receiver):  # noqa: F811
    provider = register(
        endpoint=f"http://127.0.0.1:{receiver.server_address[1]}/v1/traces",
        project_name="checkout",
        set_global_tracer_provider=False,
        verbose=False,
    )
    instrumentor = LLMInstrumentor()
    instrumentor.instrument(tracer_provider=provider, provider_urls=standin.provider_urls())
    try:
        client = openai.OpenAI(base_url=standin.base_url("openai"), api_key="sk-test")
        client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "Hi"}],
            extra_headers={"x-standin-usage": "input=1200,output=80,cache_read=1000"},
        )
        provider.force_flush()
    finally:
        instrumentor.uninstrument()
        provider.shutdown()
    spans = [
        (resource_spans.resource, span)
        for request in receiver.requests
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]
    assert len(spans) == 1  # exported by Phoenix's own span processor and exporter
    resource, span = spans[0]
    assert ("openinference.project.name", "checkout") in attributes_of(resource)
    found = dict(attributes_of(span))
    assert span.name == "chat gpt-4o"
    assert (
        found["gen_ai.usage.input_tokens"],
        found["gen_ai.usage.output_tokens"],
        found["gen_ai.usage.cache_read.input_tokens"],
    ) == (1200, 80, 1000)
