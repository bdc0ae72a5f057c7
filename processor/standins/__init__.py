"""Provider stand-in servers: loopback HTTP servers speaking the real LLM wire formats.

Used by the instrumentation tests and by `tokentrace demo`, which drive the real SDKs against
them. `start_standin()` returns a running `Standin` whose `base_url(prefix)` gives each SDK's
base URL; `usage_header(...)` builds the header that picks the usage a call reports.
"""

from .plan import usage_header
from .server import RecordedRequest, Standin, start_standin

__all__ = ["RecordedRequest", "Standin", "start_standin", "usage_header"]
