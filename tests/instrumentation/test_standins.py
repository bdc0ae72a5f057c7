"""The stand-ins answer odd but valid-JSON requests instead of crashing."""

from __future__ import annotations

import httpx

from tokentrace.processor.standins import start_standin


def test_embeddings_with_an_empty_input_list_get_an_answer() -> None:
    with start_standin(compression="none") as standin:
        response = httpx.post(
            f"{standin.base_url('openai')}/embeddings",
            json={"model": "text-embedding-3-small", "input": []},
        )
    assert response.status_code == 200
    assert response.json()["object"] == "list"


def test_chat_calls_the_offered_tool_until_its_result_is_sent() -> None:
    """``x-standin-tool-call``: an agent's tool-calling loop (AG2's ``subagent_tool``,
    ``record.py``'s ``_ag2_subtask``) runs against the stand-in: the first request that
    offers a tool gets a call of it, its required string arguments filled; the request
    that holds the tool's result gets the answer."""
    tool = {
        "type": "function",
        "function": {
            "name": "task_helper",
            "parameters": {
                "type": "object",
                "properties": {"objective": {"type": "string"}, "context": {"type": "string"}},
                "required": ["objective"],
            },
        },
    }
    asked = [{"role": "user", "content": "Say hello"}]
    with start_standin(compression="none") as standin:
        url = f"{standin.base_url('openai')}/chat/completions"
        headers = {"x-standin-tool-call": "1"}
        first = httpx.post(
            url, headers=headers, json={"model": "gpt-4o", "messages": asked, "tools": [tool]}
        ).json()
        call = first["choices"][0]["message"]["tool_calls"][0]
        result = {"role": "tool", "tool_call_id": call["id"], "content": "hello"}
        answered = [*asked, first["choices"][0]["message"], result]
        second = httpx.post(
            url, headers=headers, json={"model": "gpt-4o", "messages": answered, "tools": [tool]}
        ).json()
    assert first["choices"][0]["finish_reason"] == "tool_calls"
    assert call["function"] == {"name": "task_helper", "arguments": '{"objective": "Say hello"}'}
    assert second["choices"][0]["finish_reason"] == "stop"
    assert second["choices"][0]["message"]["content"]
