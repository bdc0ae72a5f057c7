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
