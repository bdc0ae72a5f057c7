"""tokentrace instrumentation: one GenAI span per LLM API call.

`LLMInstrumentor` instruments httpx/httpx2 (and so the openai, anthropic and google-genai SDKs);
`tags(...)` attaches cost tags (team, feature, tenant, ...) to the calls made inside it.
"""

from .instrumentor import LLMInstrumentor
from .tags import tags

__all__ = ["LLMInstrumentor", "tags"]
