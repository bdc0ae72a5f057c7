"""The 429 a provider would send, in its own error format, for a call the budget guard blocks.

Each SDK turns a 429 into its usual error: `openai.RateLimitError`, `anthropic.RateLimitError`,
google-genai's `errors.ClientError` (code 429), cohere's `TooManyRequestsError`, ollama's
`ResponseError` (status 429). The
`x-should-retry: false` header tells the openai and anthropic SDKs not to retry it (a retry
would be blocked again, after a back-off sleep).
"""

from __future__ import annotations

import json

HEADERS = {"content-type": "application/json", "x-should-retry": "false"}


def body(family: str, message: str) -> bytes:
    """The error body of API shape `family` (`Api.family`)."""
    if family == "anthropic":
        # https://docs.anthropic.com/en/api/errors
        document: object = {
            "type": "error",
            "error": {"type": "rate_limit_error", "message": message},
        }
    elif family == "gemini":
        # https://ai.google.dev/gemini-api/docs/troubleshooting (google.rpc.Status)
        document = {"error": {"code": 429, "message": message, "status": "RESOURCE_EXHAUSTED"}}
    elif family in ("cohere", "bedrock"):
        # Bedrock: `{"message": ...}` (https://docs.aws.amazon.com/bedrock/latest/APIReference/
        # CommonErrors.html), which AnthropicBedrock raises as RateLimitError.
        document = {"message": message}
    elif family == "ollama":
        # Ollama's native API: `{"error": "..."}`, which the ollama SDK raises as ResponseError.
        document = {"error": message}
    else:
        # https://platform.openai.com/docs/guides/error-codes
        document = {
            "error": {
                "message": message,
                "type": "tokentrace_budget_exceeded",
                "param": None,
                "code": "budget_exceeded",
            }
        }
    return json.dumps(document).encode()
