"""JSON written exactly as JavaScript's ``JSON.stringify`` writes it.

The spec's Express receiver verifies ``JSON.stringify(req.body)``, the body parsed and written
again, instead of the raw bytes. Signatures verify there only if our body is byte-identical to
what JavaScript would write for the same value: no spaces, non-ASCII as UTF-8, numbers in
JavaScript's notation, and integer-like object keys first in ascending order.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

# json.dumps on a lone string escapes exactly what JSON.stringify escapes.
_encode_string = json.JSONEncoder(ensure_ascii=False).encode
_MAX_ARRAY_INDEX = 2**32 - 2


def stringify(value: Any) -> str:
    """Serialize plain JSON data (dict, list, str, int, float, bool, None) like JavaScript."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, parts: list[str]) -> None:
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, str):
        parts.append(_encode_string(value))
    elif isinstance(value, int):
        parts.append(str(value))
    elif isinstance(value, float):
        parts.append(format_number(value))
    elif isinstance(value, dict):
        _write_object(value, parts)
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _write(item, parts)
        parts.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON data; convert it first.")


def _write_object(value: dict[Any, Any], parts: list[str]) -> None:
    keys = [_key(key) for key in value]
    # JavaScript objects enumerate array-index keys first, ascending, then the rest in order.
    index_keys = sorted((key for key in keys if _is_array_index(key)), key=int)
    ordered = index_keys + [key for key in keys if not _is_array_index(key)]
    by_key = {_key(key): item for key, item in value.items()}
    parts.append("{")
    for position, key in enumerate(ordered):
        if position:
            parts.append(",")
        parts.append(_encode_string(key))
        parts.append(":")
        _write(by_key[key], parts)
    parts.append("}")


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    raise TypeError(f"Object keys must be strings, not {type(key).__name__}.")


def _is_array_index(key: str) -> bool:
    return key.isdigit() and key.isascii() and str(int(key)) == key and int(key) <= _MAX_ARRAY_INDEX


def format_number(number: float) -> str:
    """A float in JavaScript's ``Number.prototype.toString`` notation (ECMA-262 6.1.6.1.20)."""
    if math.isnan(number) or math.isinf(number):
        return "null"
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    # repr() gives the shortest round-tripping digits, as JavaScript does.
    _, digit_tuple, exponent = Decimal(repr(abs(number))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    assert isinstance(exponent, int)
    exponent += len(digit_tuple) - len(digits)
    k = len(digits)
    n = k + exponent  # the value is 0.<digits> * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        power = n - 1
        mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
        text = f"{mantissa}e{'+' if power >= 0 else '-'}{abs(power)}"
    return sign + text
