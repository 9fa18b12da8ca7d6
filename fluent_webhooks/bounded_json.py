"""JSON from people (the API body, the admin's JSON fields), refused when nested too deep.

Python's parser raises ``RecursionError`` well before memory runs out, and a value deep enough
to parse can still exhaust the stack when validation or the payload builder walks it again.
"""

from __future__ import annotations

import json
from typing import Any

# Far more than any webhook field needs, and far below what exhausts Python's stack when the
# value is walked again (validation, the payload builder).
MAX_DEPTH = 64
TOO_DEEP = f"JSON nested more than {MAX_DEPTH} levels deep."


class JSONTooDeep(ValueError):
    def __init__(self) -> None:
        super().__init__(TOO_DEEP)


def check_depth(value: Any) -> Any:
    """``value``, or ``JSONTooDeep`` when its arrays and objects nest more than ``MAX_DEPTH``
    levels (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth + 1 > MAX_DEPTH:
            raise JSONTooDeep
        stack.extend((child, depth + 1) for child in children)
    return value


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads``, raising ``JSONTooDeep`` (a ``ValueError``) for hostile nesting."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise JSONTooDeep from None
    return check_depth(value)
