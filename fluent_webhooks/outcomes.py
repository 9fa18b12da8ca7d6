"""What an HTTP result means for a webhook: success, and a message a person can act on."""

from __future__ import annotations

from .transport import FailureKind, HttpResult

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


def failure_message(result: HttpResult) -> str | None:
    """Why ``result`` is a failed delivery, or ``None`` if it succeeded."""
    if result.ok:
        return None
    if result.failure is not None:
        prefix = "Blocked: " if result.failure is FailureKind.BLOCKED else ""
        return f"{prefix}{result.error}"
    status = result.status_code
    if status in _REDIRECT_CODES:
        return f"HTTP {status}: redirects are not followed (Location: {result.location or '-'})."
    excerpt = " ".join(result.body_excerpt.split())[:200]
    return f"HTTP {status}" + (f": {excerpt}" if excerpt else ".")
