"""Methods of the HTTP libraries replaced by plain functions that call a wrapper, instead of
`wrapt` proxies.

A `wrapt.FunctionWrapper` on a method binds a new `BoundFunctionWrapper` on every attribute
read and packs the arguments for the wrapper: about 7 k instructions per call under callgrind
(wrapt 2.5), where a plain function that calls the same wrapper costs about 4 k (a method that
returns its argument: 1 k). Every wrapped method here is on an LLM call's path (httpx's
`_send_single_request` and `Response.json`, `requests`' adapter `send` and `Response.json`,
aiohttp's `ClientSession._request`), and the non-LLM requests of an application pay the
wrapper too. Measured with `bench/instrumentation_instructions.py`.

The wrappers keep `wrapt`'s signature, `(wrapped, instance, args, kwargs)`, with `wrapped`
the original method bound to `instance`. The replacement has the original's name, docstring
and `__wrapped__`, as `wrapt`'s proxy had.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from opentelemetry.instrumentation.utils import unwrap

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


def patch(owner: type, name: str, wrapper: Wrapper) -> None:
    """Replaces method `name` of class `owner` with one that calls `wrapper`."""
    original = getattr(owner, name)

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return wrapper(original.__get__(self, type(self)), self, args, kwargs)

    functools.update_wrapper(method, original)
    method._tokentrace_wrapper = wrapper  # type: ignore[attr-defined]
    setattr(owner, name, method)


def unpatch(owner: type, name: str) -> None:
    """Puts back the method `patch` replaced. When something has wrapped ours since (another
    instrumentation's `wrapt` proxy), the outermost wrapper is removed, as `unwrap` does."""
    current = owner.__dict__.get(name)
    if hasattr(current, "_tokentrace_wrapper"):
        setattr(owner, name, current.__wrapped__)  # type: ignore[union-attr]
    else:
        unwrap(owner, name)
