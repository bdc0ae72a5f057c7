"""One LLM call, however many spans describe it, is counted once."""

from __future__ import annotations

from tokentrace.processor.extract.dedupe import _HOLD_NS, Deduper

from .otlp import NOW_NS, chat, extract_request, request, span

TRACE = b"\x07" * 16


def calls_of(*spans, scope="tokentrace.instrumentation"):
    return extract_request(request(*spans, scope=scope)).calls


def test_a_resent_request_is_counted_once():
    deduper = Deduper()
    message = request(span(chat()), span(chat()))
    first, duplicates = deduper.admit(extract_request(message).calls)
    assert (len(first), duplicates) == (2, 0)
    again, duplicates = deduper.admit(extract_request(message).calls)
    assert (again, duplicates) == ([], 2)


def test_same_response_id_in_one_trace_is_one_call():
    deduper = Deduper()
    ours = calls_of(span(chat(**{"gen_ai.response.id": "msg_1"}), trace_id=TRACE))
    sdk = calls_of(span(chat(**{"gen_ai.response.id": "msg_1"}), trace_id=TRACE), scope="anthropic")
    assert deduper.admit(ours) == (ours, 0)
    assert deduper.admit(sdk) == ([], 1)


def test_response_ids_are_compared_within_a_trace_only():
    # Provider stand-ins restart their id counters on every run.
    deduper = Deduper()
    run_1 = calls_of(span(chat(**{"gen_ai.response.id": "chatcmpl-standin1"})))
    run_2 = calls_of(span(chat(**{"gen_ai.response.id": "chatcmpl-standin1"})))
    assert deduper.admit(run_1)[1] == 0
    assert deduper.admit(run_2)[1] == 0


def test_same_response_id_across_traces_from_two_scopes_is_one_call():
    # OpenLLMetry's Anthropic span and the Anthropic SDK's own: a root span each.
    response = {"gen_ai.response.id": "msg_1"}
    sdk = calls_of(span(chat(**response)), scope="com.anthropic.sdk.python")
    openllmetry = calls_of(span(chat(**response)), scope="opentelemetry.instrumentation.anthropic")
    assert sdk[0].trace_id != openllmetry[0].trace_id
    deduper = Deduper()
    assert deduper.admit(openllmetry) == (openllmetry, 0)
    assert deduper.admit(sdk) == ([], 1)
    # ... but not when they started more than a minute or two apart.
    later = calls_of(span(chat(**response), start_ns=NOW_NS + 180 * 10**9), scope="other")
    assert deduper.admit(later)[1] == 0


def test_of_two_spans_of_one_call_in_a_request_the_richer_usage_is_kept():
    response = {"gen_ai.response.id": "msg_2"}
    poorer = span(chat(**response))
    richer = span(chat(**response, **{"gen_ai.usage.cache_read.input_tokens": 800}))
    message = request(poorer, scope="opentelemetry.util.genai.handler")
    message.resource_spans[0].scope_spans.add(scope={"name": "openinference"}).spans.append(richer)
    admitted, duplicates = Deduper().admit(extract_request(message).calls)
    assert duplicates == 1
    assert [call.cache_read_tokens for call in admitted] == [800]

    # Equal usage: the provider SDK's own span over a third party's.
    sdk = span(chat(**response))
    message = request(span(chat(**response)), scope="opentelemetry.instrumentation.anthropic")
    message.resource_spans[0].scope_spans.add(
        scope={"name": "com.anthropic.sdk.python"}
    ).spans.append(sdk)
    admitted, _ = Deduper().admit(extract_request(message).calls)
    assert [call.span_id for call in admitted] == [sdk.span_id]


def test_parent_child_pair_in_one_request_keeps_ours():
    sdk_span = span(chat(), trace_id=TRACE, span_id=b"\x01" * 8)
    our_span = span(chat(), trace_id=TRACE, span_id=b"\x02" * 8, parent=b"\x01" * 8)
    message = request(our_span)
    message.resource_spans[0].scope_spans.add(scope={"name": "anthropic"}).spans.append(sdk_span)
    admitted, duplicates = Deduper().admit(extract_request(message).calls)
    assert duplicates == 1
    assert [call.span_id for call in admitted] == [b"\x02" * 8]

    # Two foreign spans: the child, closest to the HTTP exchange, stays.
    framework = span(chat(), trace_id=TRACE, span_id=b"\x03" * 8)
    sdk = span(chat(), trace_id=TRACE, span_id=b"\x04" * 8, parent=b"\x03" * 8)
    admitted, _ = Deduper().admit(calls_of(framework, sdk, scope="other"))
    assert [call.span_id for call in admitted] == [b"\x04" * 8]


def test_parent_child_pair_across_requests_in_either_order():
    child_first = Deduper()
    child = calls_of(span(chat(), trace_id=TRACE, span_id=b"\x02" * 8, parent=b"\x01" * 8))
    parent = calls_of(span(chat(), trace_id=TRACE, span_id=b"\x01" * 8), scope="anthropic")
    assert child_first.admit(child)[1] == 0
    assert child_first.admit(parent)[1] == 1

    parent_first = Deduper()
    assert parent_first.admit(parent)[1] == 0
    assert parent_first.admit(child)[1] == 1


def test_siblings_under_one_framework_span_are_separate_calls():
    deduper = Deduper()
    first = calls_of(span(chat(), trace_id=TRACE, parent=b"\x09" * 8))
    second = calls_of(span(chat(), trace_id=TRACE, parent=b"\x09" * 8))
    framework = calls_of(span(chat(), trace_id=TRACE, span_id=b"\x09" * 8), scope="framework")
    assert deduper.admit(first)[1] == 0
    assert deduper.admit(second)[1] == 0
    assert deduper.admit(framework)[1] == 1


def test_a_framework_span_and_the_sdk_span_inside_it_in_another_trace_are_one_call():
    """OpenInference's LangChain ``LLM`` spans and OpenInference's OpenAI spans of the same
    calls, each OpenAI span a root of its own trace: two overlapping calls make two rows,
    the OpenAI spans (equal usage); a LangChain call with no OpenAI span inside stays."""
    ms = 10**6
    small, large = {"gen_ai.usage.input_tokens": 10}, {"gen_ai.usage.input_tokens": 20}
    outer_small = span(chat(**small), duration_ms=100)
    outer_large = span(chat(**large), start_ns=NOW_NS + 10 * ms, duration_ms=100)
    alone = span(chat(), start_ns=NOW_NS + 500 * ms, duration_ms=100)
    inner_large = span(chat(**large), start_ns=NOW_NS + 20 * ms, duration_ms=50)
    inner_small = span(chat(**small), start_ns=NOW_NS + 30 * ms, duration_ms=50)
    message = request(
        outer_small, outer_large, alone, scope="openinference.instrumentation.langchain"
    )
    message.resource_spans[0].scope_spans.add(
        scope={"name": "openinference.instrumentation.openai"}
    ).spans.extend([inner_large, inner_small])
    admitted, duplicates = Deduper().admit(extract_request(message).calls)
    assert duplicates == 2
    kept = sorted((call.span_id, call.input_tokens) for call in admitted)
    assert kept == sorted(
        [(inner_large.span_id, 20), (inner_small.span_id, 10), (alone.span_id, 1000)]
    )


def test_a_framework_span_with_richer_usage_than_the_sdk_span_inside_it_is_kept():
    outer = span(chat(**{"gen_ai.usage.cache_read.input_tokens": 800}), duration_ms=100)
    inner = span(chat(), start_ns=NOW_NS + 10**7, duration_ms=50)
    message = request(outer, scope="openinference.instrumentation.langchain")
    message.resource_spans[0].scope_spans.add(
        scope={"name": "openinference.instrumentation.openai"}
    ).spans.append(inner)
    admitted, duplicates = Deduper().admit(extract_request(message).calls)
    assert duplicates == 1
    assert [call.span_id for call in admitted] == [outer.span_id]


def test_a_framework_span_and_the_sdk_span_inside_it_across_requests_in_either_order():
    """Each span exported alone (a simple span processor): the OpenAI span of a LangChain
    call, before or after LangChain's span, is one call with it; two identical calls at
    once pair off one to one. Before the first framework span, OpenInference's spans are
    remembered for it, and another scope's (tokentrace's here) are keyed when it comes."""
    ms = 10**6
    langchain, openai = (
        "openinference.instrumentation.langchain",
        "openinference.instrumentation.openai",
    )
    first_framework = span(chat(), start_ns=NOW_NS - ms, duration_ms=100)
    ours = Deduper()
    assert ours.admit(calls_of(span(chat(), duration_ms=50)))[1] == 0
    assert ours.admit(calls_of(first_framework, scope=langchain))[1] == 1
    deduper = Deduper()
    assert deduper.admit(calls_of(span(chat(), duration_ms=50), scope=openai))[1] == 0
    assert deduper.admit(calls_of(first_framework, scope=langchain))[1] == 1
    start = NOW_NS + 1000 * ms
    outer = calls_of(span(chat(), start_ns=start, duration_ms=100), scope=langchain)
    inner = calls_of(span(chat(), start_ns=start + 10 * ms, duration_ms=50), scope=openai)
    assert deduper.admit(outer)[1] == 0
    assert deduper.admit(inner) == ([], 1)
    assert deduper.admit(inner) == ([], 1)  # resent by its exporter
    # the other order, two identical calls at once
    start += 1000 * ms
    inners = [
        calls_of(span(chat(), start_ns=start + (10 + i) * ms, duration_ms=50), scope=openai)
        for i in range(2)
    ]
    outers = [
        calls_of(span(chat(), start_ns=start + i * ms, duration_ms=100), scope=langchain)
        for i in range(2)
    ]
    assert [deduper.admit(calls)[1] for calls in inners] == [0, 0]
    assert [deduper.admit(calls)[1] for calls in outers] == [1, 1]
    # a third LangChain call at that time has no OpenAI span left to pair with
    third = calls_of(span(chat(), start_ns=start + 2 * ms, duration_ms=100), scope=langchain)
    assert deduper.admit(third)[1] == 0
    # five identical calls waiting at once: the one that started first gives its slot up
    start += 1000 * ms
    for number in range(5):
        waiting = span(chat(), start_ns=start + number * 200 * ms, duration_ms=50)
        assert deduper.admit(calls_of(waiting, scope=openai))[1] == 0
    newest = span(chat(), start_ns=start + 790 * ms, duration_ms=100)
    assert deduper.admit(calls_of(newest, scope=langchain))[1] == 1
    oldest = span(chat(), start_ns=start - ms, duration_ms=100)
    assert deduper.admit(calls_of(oldest, scope=langchain))[1] == 0
    # other usage, or not nested: separate calls
    start += 1000 * ms
    other = {"gen_ai.usage.input_tokens": 7}
    assert (
        deduper.admit(calls_of(span(chat(), start_ns=start, duration_ms=100), scope=langchain))[1]
        == 0
    )
    later = span(chat(**other), start_ns=start + 10 * ms, duration_ms=50)
    outside = span(chat(), start_ns=start + 90 * ms, duration_ms=50)
    assert deduper.admit(calls_of(later, outside, scope=openai))[1] == 0


def test_a_span_without_usage_and_its_pair_across_requests_are_one_call():
    """OpenInference's OpenAI span of a stream without usage, then LiteLLM's span of the
    call around it, in another trace, with LiteLLM's own count: one call. So are two spans
    without usage, one inside the other; a span outside is another call."""
    ms = 10**6
    litellm, openai = "litellm", "openinference.instrumentation.openai"
    no_usage = {"gen_ai.usage.input_tokens": None, "gen_ai.usage.output_tokens": None}
    deduper = Deduper()
    inner = span(chat(**no_usage), start_ns=NOW_NS + 10 * ms, duration_ms=50)
    counted = {"gen_ai.usage.input_tokens": 9, "gen_ai.usage.output_tokens": 9}
    outer = span(chat(**counted), start_ns=NOW_NS, duration_ms=100)
    assert deduper.admit(calls_of(inner, scope=openai))[1] == 0
    assert deduper.admit(calls_of(outer, scope=litellm)) == ([], 1)
    start = NOW_NS + 1000 * ms
    outer = span(chat(**no_usage), start_ns=start, duration_ms=100)
    inner = span(chat(**no_usage), start_ns=start + 10 * ms, duration_ms=50)
    outside = span(chat(**no_usage), start_ns=start + 90 * ms, duration_ms=50)
    assert deduper.admit(calls_of(outer, scope=litellm))[1] == 0
    assert deduper.admit(calls_of(outside, scope=openai))[1] == 0
    assert deduper.admit(calls_of(inner, scope=openai)) == ([], 1)


def test_a_framework_span_without_usage_and_a_span_with_usage_started_inside_are_one_call():
    """MLflow's span of Anthropic's ``create(stream=True)`` ends when the stream is
    returned, without usage; tokentrace's span of the call starts inside it and ends once
    the stream has been read, with the usage. One call, in one request (the span with
    usage kept) and across requests (the first seen kept); a span without usage that
    starts inside but ends after is another call (see above)."""
    ms = 10**6
    mlflow, ours = "mlflow.tracing.provider", "tokentrace.instrumentation"
    no_usage = {"gen_ai.usage.input_tokens": None, "gen_ai.usage.output_tokens": None}
    opening = span(chat(**no_usage), start_ns=NOW_NS, duration_ms=10)
    read = span(chat(), start_ns=NOW_NS + 2 * ms, duration_ms=60)
    admitted, duplicates = Deduper().admit(
        calls_of(opening, scope=mlflow) + calls_of(read, scope=ours)
    )
    assert duplicates == 1
    assert [call.usage_missing for call in admitted] == [0]
    deduper = Deduper()
    assert deduper.admit(calls_of(opening, scope=mlflow))[1] == 0
    assert deduper.admit(calls_of(read, scope=ours)) == ([], 1)
    # started after it ended: another call
    start = NOW_NS + 1000 * ms
    assert (
        deduper.admit(
            calls_of(span(chat(**no_usage), start_ns=start, duration_ms=10), scope=mlflow)
        )[1]
        == 0
    )
    after = span(chat(), start_ns=start + 20 * ms, duration_ms=60)
    assert deduper.admit(calls_of(after, scope=ours))[1] == 0


def test_a_framework_span_and_the_sdk_span_in_its_trace_but_not_inside_it_are_one_call():
    """OpenInference's LlamaIndex ``OpenAI.stream_chat`` span ends when the stream is
    returned; OpenInference's OpenAI span of the call starts after it, elsewhere in the
    trace. In one request or across requests, in either order, the two are one call (equal
    usage and provider, usage-missing included); identical calls pair off one to one, and
    another trace's span is not a pair."""
    ms = 10**6
    llama_index, openai = (
        "openinference.instrumentation.llama_index",
        "openinference.instrumentation.openai",
    )
    no_usage = {"gen_ai.usage.input_tokens": None, "gen_ai.usage.output_tokens": None}

    def pair(trace: bytes, start_ns: int, **usage):
        framework = span(chat(**usage), trace_id=trace, start_ns=start_ns, duration_ms=1)
        sdk = span(chat(**usage), trace_id=trace, start_ns=start_ns + 5 * ms, duration_ms=20)
        return framework, sdk

    framework, sdk = pair(TRACE, NOW_NS)
    message = request(framework, scope=llama_index)
    message.resource_spans[0].scope_spans.add(scope={"name": openai}).spans.append(sdk)
    admitted, duplicates = Deduper().admit(extract_request(message).calls)
    assert ([call.span_id for call in admitted], duplicates) == ([sdk.span_id], 1)

    deduper = Deduper()
    for number, usage in enumerate(({}, no_usage)):
        framework, sdk = pair(TRACE, NOW_NS + number * 100 * ms, **usage)
        assert deduper.admit(calls_of(framework, scope=llama_index))[1] == 0
        assert deduper.admit(calls_of(sdk, scope=openai)) == ([], 1)
    # the other order, two identical calls in one trace, then a third framework span
    trace = b"\x08" * 16
    pairs = [pair(trace, NOW_NS + number * 10 * ms) for number in range(3)]
    assert [deduper.admit(calls_of(sdk, scope=openai))[1] for _, sdk in pairs[:2]] == [0, 0]
    assert [deduper.admit(calls_of(f, scope=llama_index))[1] for f, _ in pairs] == [1, 1, 0]
    # the same usage in another trace is another call
    framework, _ = pair(b"\x0a" * 16, NOW_NS)
    _, sdk = pair(b"\x0b" * 16, NOW_NS)
    assert deduper.admit(calls_of(framework, scope=llama_index))[1] == 0
    assert deduper.admit(calls_of(sdk, scope=openai))[1] == 0


def test_forget_lets_a_retry_through():
    deduper = Deduper()
    calls = calls_of(span(chat(**{"gen_ai.response.id": "r"})))
    deduper.admit(calls)
    deduper.forget(calls)
    assert deduper.admit(calls) == (calls, 0)


def test_memory_is_bounded_and_keeps_at_least_the_newest_half():
    deduper = Deduper(capacity=8)  # one key per call here: no parent, no response id
    calls = [calls_of(span(chat()))[0] for _ in range(20)]
    for call in calls:
        deduper.admit([call])
    assert len(deduper) == 8
    assert all(deduper.admit([call])[1] == 1 for call in calls[-4:])
    assert deduper.admit([calls[0]])[1] == 0  # forgotten long ago: counted again


def test_calls_before_the_first_framework_span_are_paired_once_it_comes():
    """A framework's exporter may send its first spans after the application's (MLflow
    exports through its own provider): the calls admitted before any framework span
    leave their keys when the first one comes, so its twin, nesting, is a duplicate; a
    forgotten call (its request failed) leaves none."""
    ms = 10**6
    mlflow, ours = "mlflow.tracing.provider", "tokentrace.instrumentation"
    deduper = Deduper()
    first = span(chat(), start_ns=NOW_NS + 2 * ms, duration_ms=20)
    failed = span(chat(**{"gen_ai.usage.input_tokens": 7}), start_ns=NOW_NS, duration_ms=50)
    assert deduper.admit(calls_of(first, scope=ours))[1] == 0
    lost = calls_of(failed, scope=ours)
    assert deduper.admit(lost)[1] == 0
    deduper.forget(lost)
    twin = span(chat(), start_ns=NOW_NS, duration_ms=50)
    assert deduper.admit(calls_of(twin, scope=mlflow)) == ([], 1)
    failed_twin = span(chat(**{"gen_ai.usage.input_tokens": 7}), start_ns=NOW_NS, duration_ms=60)
    assert deduper.admit(calls_of(failed_twin, scope=mlflow))[1] == 0


def test_a_stream_span_opened_after_the_stream_pairs_with_the_stream_that_just_ended():
    """OpenLIT opens its span of a stream once the stream has been read (``Call.late``),
    in a trace of its own, and Ollama's answer has no response id: it is the call of the
    stream of equal usage that ended at most 5 s before it opened, one to one; not of an
    earlier call that did not stream, nor of a stream that ended longer ago."""
    ms = 10**6
    openlit = "openlit.instrumentation.ollama"
    stream = {"gen_ai.provider.name": "ollama", "gen_ai.request.stream": True}
    plain = {"gen_ai.provider.name": "ollama"}
    start = NOW_NS
    deduper = Deduper()
    # a plain call, then two streams of the same usage, each followed by its late span
    assert deduper.admit(calls_of(span(chat(**plain), start_ns=start, duration_ms=20)))[1] == 0
    for number in range(2):
        opened = start + (100 + number * 100) * ms
        ours = span(chat(**stream), start_ns=opened, duration_ms=40)
        late = span(chat(**stream), start_ns=opened + 42 * ms, duration_ms=1)
        assert deduper.admit(calls_of(ours))[1] == 0
        assert deduper.admit(calls_of(late, scope=openlit)) == ([], 1)
    # a late span with no stream of its usage ended just before: a call of its own
    alone = span(chat(**stream), start_ns=start + 400 * ms, duration_ms=1)
    assert deduper.admit(calls_of(alone, scope=openlit))[1] == 0
    # one that opened more than 5 s after the stream ended: a call of its own
    ours = span(chat(**stream), start_ns=start + 1000 * ms, duration_ms=40)
    late = span(chat(**stream), start_ns=start + 7000 * ms, duration_ms=1)
    assert deduper.admit(calls_of(ours))[1] == 0
    assert deduper.admit(calls_of(late, scope=openlit))[1] == 0
    # in one request too
    opened = start + 9000 * ms
    ours = calls_of(span(chat(**stream), start_ns=opened, duration_ms=40))
    late = calls_of(span(chat(**stream), start_ns=opened + 41 * ms, duration_ms=1), scope=openlit)
    admitted, duplicates = Deduper().admit(ours + late)
    assert (duplicates, [call.scope for call in admitted]) == (1, [b"tokentrace.instrumentation"])


def test_a_chain_linked_by_parent_and_by_response_id_is_one_call():
    # OpenInference's span (richer: it counts the thoughts) around OpenLLMetry's, which
    # shares its response id with tokentrace's span in another trace. Paired apart, the
    # chain kept OpenInference's and tokentrace's beat OpenLLMetry's: two rows.
    thoughts = {"gen_ai.usage.reasoning.output_tokens": 30}
    outer = span(chat(**thoughts), trace_id=TRACE, span_id=b"\x01" * 8)
    inner = span(
        chat(**{"gen_ai.response.id": "r1"}), trace_id=TRACE, span_id=b"\x02" * 8,
        parent=b"\x01" * 8,
    )  # fmt: skip
    ours = span(chat(**{"gen_ai.response.id": "r1"}, **thoughts), trace_id=b"\x08" * 16)
    message = request(ours)
    scopes = message.resource_spans[0].scope_spans
    scopes.add(scope={"name": "openinference.instrumentation.google_genai"}).spans.append(outer)
    scopes.add(scope={"name": "opentelemetry.instrumentation.google_generativeai"}).spans.append(
        inner
    )
    admitted, duplicates = Deduper().admit(extract_request(message).calls)
    assert duplicates == 2
    assert [call.span_id for call in admitted] == [ours.span_id]


def test_concurrent_calls_of_two_models_are_not_paired_by_time_alone():
    """Two calls at once through two instrumentations (MLflow's and tokentrace's), in two
    threads of an app: a gpt-4o stream whose MLflow span ends when the stream is returned,
    without usage, and an unrelated gpt-4o-mini call whose tokentrace span starts inside
    that span. The ``M`` and ``W`` slots paired a span without usage with one of the other
    side by provider and time alone: across requests the gpt-4o-mini call was taken for the
    gpt-4o stream's pair (lost, its cost with it) and tokentrace's span of the stream
    counted beside MLflow's (the stream twice). A span with usage of the other model's call
    was likewise taken for a framework call without usage that it ran inside (``W``): that
    call was lost. Now the model must agree too (when both spans name one)."""
    ms = 10**6
    mlflow, ours = "mlflow.tracing.provider", "tokentrace.instrumentation"
    no_usage = {"gen_ai.usage.input_tokens": None, "gen_ai.usage.output_tokens": None}
    mini = {"gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini"}
    stream_opening = span(chat(**no_usage), start_ns=NOW_NS, duration_ms=10)
    other_call = span(chat(**mini), start_ns=NOW_NS + 2 * ms, duration_ms=60)
    stream_read = span(chat(), start_ns=NOW_NS + 1 * ms, duration_ms=80)

    def kept(admitted):
        return sorted((call.request_model, call.usage_missing) for call in admitted)

    # across requests, in the order the spans ended
    deduper = Deduper()
    admitted = []
    for one, scope in ((stream_opening, mlflow), (other_call, ours), (stream_read, ours)):
        admitted += deduper.admit(calls_of(one, scope=scope))[0]
    assert kept(admitted) == [("gpt-4o", 1), ("gpt-4o-mini", 0)]
    # in one request: the stream's span with usage kept
    together = calls_of(stream_opening, scope=mlflow) + calls_of(other_call, stream_read)
    admitted, duplicates = Deduper().admit(together)
    assert (kept(admitted), duplicates) == ([("gpt-4o", 0), ("gpt-4o-mini", 0)], 1)
    # W: the gpt-4o-mini call (with usage) seen first, then a framework span without usage
    # of a gpt-4o call around it that no other span describes: two calls
    start = NOW_NS + 1000 * ms
    inner = span(chat(**mini), start_ns=start + 5 * ms, duration_ms=20)
    outer = span(chat(**no_usage), start_ns=start, duration_ms=100)
    deduper = Deduper()
    deduper.admit(calls_of(span(chat(), start_ns=NOW_NS, duration_ms=1), scope=mlflow))
    assert deduper.admit(calls_of(inner, scope=ours))[1] == 0
    assert deduper.admit(calls_of(outer, scope=mlflow))[1] == 0
    # the same model's span, with a dated name, is still the call's pair
    dated = {"gen_ai.request.model": "gpt-4o-2024-08-06"}
    start += 1000 * ms
    inner = span(chat(**dated), start_ns=start + 5 * ms, duration_ms=20)
    outer = span(chat(**no_usage), start_ns=start, duration_ms=100)
    assert deduper.admit(calls_of(inner, scope=ours))[1] == 0
    assert deduper.admit(calls_of(outer, scope=mlflow)) == ([], 1)


def test_a_framework_stream_span_without_usage_sent_first_is_held_for_the_span_with_usage():
    """Sent span by span, MLflow's span of a stream (no usage) ends, and arrives, before
    tokentrace's span of the stream, which started inside it and carries the usage. It was
    counted (the first seen wins): the call's cost unknown. Now it is held
    (``dedupe.waits``) and claimed by that span: one call, the span with usage. A held
    span that no span with usage claims is admitted when its time is up, usage-missing."""
    ms = 10**6
    mlflow, ours = "mlflow.tracing.provider", "tokentrace.instrumentation"
    streamed = {"gen_ai.request.stream": True}
    no_usage = {"gen_ai.usage.input_tokens": None, "gen_ai.usage.output_tokens": None}
    opening = span(chat(**streamed, **no_usage), start_ns=NOW_NS, duration_ms=10)
    read = span(chat(**streamed), start_ns=NOW_NS + 2 * ms, duration_ms=60)
    deduper = Deduper()
    assert deduper.admit(calls_of(opening, scope=mlflow), NOW_NS) == ([], 0)
    assert len(deduper.held) == 1
    admitted, duplicates = deduper.admit(calls_of(read, scope=ours), NOW_NS)
    assert ([call.usage_missing for call in admitted], duplicates) == ([0], 1)
    assert deduper.held == []
    # no span with usage comes: admitted, usage-missing, once its time is up
    alone = span(chat(**streamed, **no_usage), start_ns=NOW_NS + 1000 * ms, duration_ms=10)
    assert deduper.admit(calls_of(alone, scope=mlflow), NOW_NS) == ([], 0)
    admitted, duplicates = deduper.admit([], NOW_NS + _HOLD_NS)
    assert ([call.usage_missing for call in admitted], duplicates) == ([1], 0)


def test_an_ai_sdk_embed_operation_and_its_model_call_without_usage_are_one_call():
    """The AI SDK 7's ``embed`` operation span (scope ``gen_ai``) is held for the model
    call's span beneath it (``sources.Source.embed_operation``). When the provider sends no
    usage, that span has none either and is held in its turn: it claims its parent all the
    same (else both were released at their time: two rows for one call), and is the call,
    usage-missing, when its time is up."""
    embed = {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "text-embedding-3-small",
    }
    operation = span(embed, trace_id=TRACE, span_id=b"\x01" * 8, duration_ms=10)
    model_call = span(embed, trace_id=TRACE, span_id=b"\x02" * 8, parent=b"\x01" * 8)
    deduper = Deduper()
    assert deduper.admit(calls_of(operation, scope="gen_ai"), NOW_NS) == ([], 0)
    assert deduper.admit(calls_of(model_call, scope="gen_ai"), NOW_NS) == ([], 1)
    admitted, duplicates = deduper.admit([], NOW_NS + _HOLD_NS)
    assert ([(call.span_id, call.usage_missing) for call in admitted], duplicates) == (
        [(b"\x02" * 8, 1)],
        0,
    )
