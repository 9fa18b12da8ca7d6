"""A body written by an administrator: a JSON template whose strings hold placeholders.

- ``validate_template(value)``: the template, or ``TemplateInvalid`` naming the problem and where;
- ``compile_template(value)``: the template parsed once (cached by its JSON text);
- ``render(template, payload)``: the JSON value to send, at most ``MAX_RENDERED_BYTES``.

A placeholder is ``{{ path | filter | filter:argument }}``. The path starts at ``event``,
``timestamp``, ``data`` or ``xprofile`` and goes on with dotted keys or list indexes of letters,
digits and underscores (``data.items.0.name``). It only reads the payload's JSON: nothing is
called, no attribute is looked up, and there are no tags (``{% %}``). Filters, left to right:

- ``default:"text"`` (or ``default:0``): the argument when the value is missing, null or "";
- ``truncatechars:N`` (1 to 100,000): at most N characters, the last an ellipsis if cut;
- ``upper``, ``lower``;
- ``date:"%Y-%m-%d"``: a ``YYYY-MM-DD HH:MM:SS`` or ISO 8601 value written with the codes in
  ``DATE_CODES`` (English names, no locale); any other value becomes missing;
- ``json``: the value as compact JSON text (missing or null as ``null``).

Only string values are templated, never keys, so payload content can neither add keys nor break
the JSON. A string that is one placeholder (spaces around it aside) takes the value's own JSON
type, and null when missing; inside a longer string a value is written as text: missing and null
as "", numbers and booleans as JSON writes them, objects and lists as compact JSON. Lone
surrogates become U+FFFD, non-finite numbers null, and values nested deeper than
``MAX_VALUE_DEPTH`` null, so the result always encodes as UTF-8 JSON.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from ..exceptions import FluentWebhooksError
from .template_syntax import DATE_CODES, FILTERS, Expr, Filter, SyntaxProblem, parse_string, pointer

__all__ = [
    "DATE_CODES",
    "FILTERS",
    "MAX_DEPTH",
    "MAX_RENDERED_BYTES",
    "MAX_TEMPLATE_BYTES",
    "SENDGRID_EXAMPLE",
    "CompiledTemplate",
    "TemplateInvalid",
    "TemplateTooLarge",
    "compile_template",
    "render",
    "validate_template",
]

MAX_TEMPLATE_BYTES = 16_384
MAX_RENDERED_BYTES = 262_144
MAX_DEPTH = 32
MAX_VALUE_DEPTH = 64
# Characters filters may handle and payload values copied, per render: with the size cap this
# keeps a render linear in its output whatever the payload holds.
MAX_RENDER_STEPS = 4_000_000
# upper/lower never need more of a string than could be sent.
_TEXT_WINDOW = MAX_RENDERED_BYTES + 1


class TemplateInvalid(FluentWebhooksError, ValueError):
    """A template that may not be stored; ``where`` is a JSON pointer ("" for the root)."""

    def __init__(self, message: str, where: str = "", character: int | None = None) -> None:
        super().__init__(message)
        self.where = where
        self.character = character


class TemplateTooLarge(FluentWebhooksError, ValueError):
    """A rendering over ``MAX_RENDERED_BYTES`` (or over its work budget)."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


# Checking and compiling


def validate_template(value: object) -> object:
    """``value`` if it is a template this module can render, else ``TemplateInvalid``."""
    compile_template(value)
    return value


def compile_template(value: object) -> CompiledTemplate:
    """``value`` checked and parsed; the same JSON text is parsed only once."""
    return _compile(_json_text(value))


def _json_text(value: object) -> str:
    """The template as compact JSON, once its types, depth and size are known to be sane."""
    stack: list[tuple[object, str, int]] = [(value, "", 0)]
    size = 0
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise TemplateInvalid(
                    f"nested deeper than {MAX_DEPTH} levels at {_at(where)}", where
                )
            size += 2
            if isinstance(item, list):
                stack.extend((v, f"{where}/{i}", depth + 1) for i, v in enumerate(item))
            else:
                for key, v in item.items():
                    here = f"{where}/{pointer(key) if isinstance(key, str) else key}"
                    if not isinstance(key, str):
                        raise TemplateInvalid(f"a key that is not a string at {_at(here)}", here)
                    _check_text(key, here)
                    if "{{" in key or "{%" in key or "}}" in key:
                        raise TemplateInvalid(
                            f"a placeholder in a key at {_at(here)}: keys are never templated",
                            here,
                        )
                    size += len(key) + 3
                    stack.append((v, here, depth + 1))
        elif isinstance(item, str):
            _check_text(item, where)
            size += len(item) + 2
        elif isinstance(item, float) and not math.isfinite(item):
            raise TemplateInvalid(f"a number JSON cannot hold ({item}) at {_at(where)}", where)
        elif item is not None and not isinstance(item, bool | int | float):
            kind = type(item).__name__
            raise TemplateInvalid(f"a {kind}, not a JSON value, at {_at(where)}", where)
        else:
            size += 1
        # A lower bound of the JSON's length so far: stop early, the exact count comes below.
        if size > MAX_TEMPLATE_BYTES:
            break
    text = (
        json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if size <= MAX_TEMPLATE_BYTES
        else ""
    )
    length = len(text.encode("utf-8")) if text else size
    if not text or length > MAX_TEMPLATE_BYTES:
        raise TemplateInvalid(
            f"the template is over {MAX_TEMPLATE_BYTES} bytes as JSON ({length} or more)", ""
        )
    return text


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise TemplateInvalid(
            f"a lone surrogate (not UTF-8 text) at {_at(where)} (character {error.start + 1})",
            where,
            error.start + 1,
        ) from None


def _at(where: str) -> str:
    return where or "the top level"


@lru_cache(maxsize=256)
def _compile(text: str) -> CompiledTemplate:
    return CompiledTemplate(text, _node(json.loads(text), ""))


def _node(value: Any, where: str) -> _Node:
    if isinstance(value, dict):
        return _Object(tuple((k, _node(v, f"{where}/{pointer(k)}")) for k, v in value.items()))
    if isinstance(value, list):
        return _Array(tuple(_node(v, f"{where}/{i}") for i, v in enumerate(value)))
    if not isinstance(value, str):
        return _Const(value)
    try:
        parts = parse_string(value)
    except SyntaxProblem as error:
        located = f"{error.problem} at {_at(where)} (character {error.character})"
        message = f"{located}: {error.hint}" if error.hint else located
        raise TemplateInvalid(message, where, error.character) from None
    if not any(isinstance(part, Expr) for part in parts):
        return _Const(value)
    exprs = [part for part in parts if isinstance(part, Expr)]
    if len(exprs) == 1 and all(isinstance(p, Expr) or not p.strip() for p in parts):
        return _Whole(exprs[0])
    return _Text(tuple(parts))


# Rendering


def render(template: object, payload: Mapping[str, Any]) -> object:
    """``template`` with the placeholders of its strings replaced from ``payload``."""
    compiled = template if isinstance(template, CompiledTemplate) else compile_template(template)
    return compiled.render(payload)


@dataclass(frozen=True)
class CompiledTemplate:
    """A parsed template; ``render`` it for as many payloads as needed."""

    source: str
    root: _Node

    def render(self, payload: Mapping[str, Any]) -> object:
        budget = _Budget([MAX_RENDER_STEPS])
        result = self.root.render(payload, budget)
        body = json.dumps(result, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        size = len(body.encode("utf-8"))
        if size > MAX_RENDERED_BYTES:
            raise TemplateTooLarge(f"the rendered body is {size} bytes, over {MAX_RENDERED_BYTES}")
        return result


class _Budget:
    """What one render may still write (a lower bound, in characters) and do (steps)."""

    def __init__(self, steps: list[int], size: int = MAX_RENDERED_BYTES) -> None:
        self.size = size
        self.steps = steps  # shared with the budgets of inner JSON texts

    def write(self, size: int) -> None:
        self.size -= size
        if self.size < 0:
            raise TemplateTooLarge(f"the rendered body is over {MAX_RENDERED_BYTES} bytes")

    def work(self, steps: int) -> None:
        self.steps[0] -= steps
        if self.steps[0] < 0:
            raise TemplateTooLarge(f"rendering took over {MAX_RENDER_STEPS} steps")

    def inner(self) -> _Budget:
        """A budget for a text that a filter may still cut (a ``json`` value)."""
        return _Budget(self.steps)


@dataclass(frozen=True)
class _Const:
    value: Any

    def render(self, payload: Any, budget: _Budget) -> Any:
        return self.value


@dataclass(frozen=True)
class _Whole:
    expr: Expr

    def render(self, payload: Any, budget: _Budget) -> Any:
        value = _evaluate(self.expr, payload, budget)
        return None if value is MISSING else _plain(value, budget, 0)


@dataclass(frozen=True)
class _Text:
    parts: tuple[str | Expr, ...]

    def render(self, payload: Any, budget: _Budget) -> str:
        pieces = []
        for part in self.parts:
            text = (
                part if isinstance(part, str) else _text(_evaluate(part, payload, budget), budget)
            )
            budget.write(len(text))
            pieces.append(_scrub(text))
        return "".join(pieces)


@dataclass(frozen=True)
class _Object:
    items: tuple[tuple[str, _Node], ...]

    def render(self, payload: Any, budget: _Budget) -> dict[str, Any]:
        return {key: node.render(payload, budget) for key, node in self.items}


@dataclass(frozen=True)
class _Array:
    items: tuple[_Node, ...]

    def render(self, payload: Any, budget: _Budget) -> list[Any]:
        return [node.render(payload, budget) for node in self.items]


_Node = _Const | _Whole | _Text | _Object | _Array


def _evaluate(expr: Expr, payload: Any, budget: _Budget) -> Any:
    value = _lookup(payload, expr.path)
    for step in expr.filters:
        value = _FILTERS[step.name](value, step, budget)
    return value


def _lookup(payload: Any, path: tuple[str, ...]) -> Any:
    value = payload
    for key in path:
        if isinstance(value, Mapping):
            value = value.get(key, MISSING)
        elif isinstance(value, list | tuple) and key.isdigit() and len(key) < 10:
            index = int(key)
            value = value[index] if index < len(value) else MISSING
        else:
            return MISSING
    # NaN and infinities read as null, as they would be written.
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _text(value: Any, budget: _Budget) -> str:
    """``value`` as it reads inside a longer string."""
    if isinstance(value, str):
        return value
    if value is None or value is MISSING:
        return ""
    if isinstance(value, dict | list | tuple | Mapping):
        return _json(value, budget.inner())
    plain = _plain(value, budget.inner(), 0)
    return "" if plain is None else json.dumps(plain)


def _json(value: Any, budget: _Budget) -> str:
    plain = _plain(value, budget, 0)
    text = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    budget.work(len(text))
    return text


def _plain(value: Any, budget: _Budget, depth: int) -> Any:
    """A copy of ``value`` that is plain JSON data, charged to ``budget`` as it is made."""
    budget.work(1)
    if value is None or isinstance(value, bool):
        budget.write(4)
        return value
    if isinstance(value, int):
        try:
            digits = len(str(value))
        except ValueError:  # over Python's digit limit for str()
            return None
        budget.write(digits)
        return value
    if isinstance(value, float):
        budget.write(3)
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        budget.write(len(value) + 2)
        budget.work(len(value))
        return _scrub(value)
    if depth >= MAX_VALUE_DEPTH or not isinstance(value, Mapping | list | tuple):
        budget.write(4)
        return None
    budget.write(2)
    if isinstance(value, Mapping):
        copied: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, str):  # JSON data has no other keys
                budget.write(len(key) + 4)
                copied[_scrub(key)] = _plain(item, budget, depth + 1)
        return copied
    return [_plain(item, budget, depth + 1) for item in value]


def _scrub(text: str) -> str:
    """``text`` with lone surrogates replaced, so it encodes as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


# Filters: each takes the value so far (possibly MISSING) and returns the next.


def _default(value: Any, step: Filter, budget: _Budget) -> Any:
    empty = value is MISSING or value is None or (isinstance(value, str) and not value)
    return step.arg if empty else value


def _truncatechars(value: Any, step: Filter, budget: _Budget) -> Any:
    if value is MISSING or value is None:
        return value
    text, limit = _text(value, budget), int(step.arg or 1)
    if len(text) <= limit:
        return text
    budget.work(limit)
    return text[: limit - 1] + "…"


def _case(method: str) -> Any:
    def change(value: Any, step: Filter, budget: _Budget) -> Any:
        if value is MISSING or value is None:
            return value
        text = _text(value, budget)[:_TEXT_WINDOW]
        budget.work(len(text))
        return text.upper() if method == "upper" else text.lower()

    return change


def _json_filter(value: Any, step: Filter, budget: _Budget) -> Any:
    return _json(None if value is MISSING else value, budget.inner())


_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?",
    re.ASCII,
)
_MONTHS = "January February March April May June July August September October November December"
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"


def _date(value: Any, step: Filter, budget: _Budget) -> Any:
    if not isinstance(value, str) or len(value) > 40 or not _DATE.fullmatch(value):
        return MISSING
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return MISSING
    return _strftime(moment, str(step.arg))


def _strftime(moment: datetime, form: str) -> str:
    """``form`` with its codes (checked when the template was parsed) filled from ``moment``."""
    months, days = _MONTHS.split(), _DAYS.split()
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    codes = {
        "Y": f"{moment.year:04d}",
        "y": f"{moment.year % 100:02d}",
        "m": f"{moment.month:02d}",
        "d": f"{moment.day:02d}",
        "H": f"{moment.hour:02d}",
        "I": f"{(moment.hour % 12) or 12:02d}",
        "M": f"{moment.minute:02d}",
        "S": f"{moment.second:02d}",
        "p": "AM" if moment.hour < 12 else "PM",
        "b": months[moment.month - 1][:3],
        "B": months[moment.month - 1],
        "a": days[moment.weekday()][:3],
        "A": days[moment.weekday()],
        "j": f"{moment.timetuple().tm_yday:03d}",
        # The API family writes UTC; a value without an offset is taken as UTC.
        "z": f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}",
        "%": "%",
    }
    return re.sub(r"%(.)", lambda match: codes[match.group(1)], form, flags=re.DOTALL)


_FILTERS: dict[str, Any] = {
    "default": _default,
    "truncatechars": _truncatechars,
    "upper": _case("upper"),
    "lower": _case("lower"),
    "date": _date,
    "json": _json_filter,
}


# A template for SendGrid's v3 Mail Send (POST https://api.sendgrid.com/v3/mail/send, with
# "Authorization: Bearer <API key>"): one plain-text email to the moderators per event.
SENDGRID_EXAMPLE: dict[str, Any] = {
    "personalizations": [{"to": [{"email": "moderators@example.com"}]}],
    "from": {"email": "community@example.com", "name": "Community"},
    "subject": '{{ event }}: {{ data.title | default:"new activity" | truncatechars:78 }}',
    "content": [
        {
            "type": "text/plain",
            "value": (
                '{{ event }} on {{ timestamp | date:"%A %d %B %Y, %H:%M (UTC%z)" }}\n'
                'By: {{ xprofile.display_name | default:"someone" }}'
                ' (@{{ xprofile.username | default:"unknown" }})\n'
                'Title: {{ data.title | default:"-" | truncatechars:200 }}\n'
                'Reason: {{ data.reason | default:"-" }}\n'
                '\n{{ data.message | default:"(no message)" | truncatechars:2000 }}\n'
                "\nThe event's data as JSON:\n{{ data | json | truncatechars:4000 }}\n"
            ),
        }
    ],
    "categories": ["community-webhooks"],
}
