"""The placeholder language of ``messages.template``: a hand-written scanner, linear in the text.

``parse_string(text)`` splits a template string into literal text and ``Expr`` placeholders, or
raises ``SyntaxProblem`` with the 1-based character where the problem is.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

ROOTS = ("event", "timestamp", "data", "xprofile")
FILTERS = ("default", "truncatechars", "upper", "lower", "date", "json")
DATE_CODES = "YymdHIMSpbBaAjz%"
MAX_TRUNCATE = 100_000
MAX_NAME = 128
_NAME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_")
_SPACES = frozenset(" \t\r\n")
_ROOTS_TEXT = "event, timestamp, data or xprofile"
_FILTERS_TEXT = "default, truncatechars, upper, lower, date or json"


class SyntaxProblem(ValueError):
    """What is wrong in a template string, and at which character (counted from 1)."""

    def __init__(self, problem: str, character: int, hint: str = "") -> None:
        super().__init__(problem, character, hint)
        self.problem = problem
        self.character = character
        self.hint = hint


@dataclass(frozen=True)
class Filter:
    name: str
    arg: str | int | None = None


@dataclass(frozen=True)
class Expr:
    """``{{ data.title | default:"-" }}``: a path from the payload's root, and filters."""

    path: tuple[str, ...]
    filters: tuple[Filter, ...] = ()


def pointer(key: str) -> str:
    """``key`` escaped as one JSON pointer token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


def parse_string(text: str) -> list[str | Expr]:
    """``text`` as literal strings and placeholders, in order."""
    parts: list[str | Expr] = []
    position = 0
    while True:
        start = text.find("{{", position)
        literal = text[position : len(text) if start < 0 else start]
        _check_literal(literal, position)
        if literal:
            parts.append(literal)
        if start < 0:
            return parts
        expr, position = _Scanner(text, start).placeholder()
        parts.append(expr)


def _check_literal(literal: str, offset: int) -> None:
    tag = literal.find("{%")
    if tag >= 0:
        raise SyntaxProblem(
            "template tags ({% ... %}) are not supported",
            offset + tag + 1,
            "only {{ placeholders }} with filters",
        )
    closing = literal.find("}}")
    if closing >= 0:
        raise SyntaxProblem("unbalanced '}}' without '{{' before it", offset + closing + 1)


class _Scanner:
    """Reads one placeholder, from its ``{{`` to its ``}}``."""

    def __init__(self, text: str, start: int) -> None:
        self.text = text
        self.start = start
        self.at = start + 2

    def placeholder(self) -> tuple[Expr, int]:
        self._spaces()
        path = self._path()
        filters = []
        self._spaces()
        while self._peek() == "|":
            self.at += 1
            self._spaces()
            filters.append(self._filter())
            self._spaces()
        if self.text.startswith("}}", self.at):
            return Expr(path, tuple(filters)), self.at + 2
        raise self._unexpected()

    def _path(self) -> tuple[str, ...]:
        at = self.at
        root = self._name("a path such as data.title")
        if root not in ROOTS:
            raise SyntaxProblem(
                f"unknown name '{root}'", at + 1, f"a path starts with {_ROOTS_TEXT}"
            )
        path = [root]
        while self._peek() == ".":
            self.at += 1
            at = self.at
            key = self._name("a key or an index after '.'")
            if key.startswith("__"):
                raise SyntaxProblem(
                    f"'{key}' is not allowed", at + 1, "names starting with '__' are refused"
                )
            path.append(key)
        return tuple(path)

    def _filter(self) -> Filter:
        at = self.at
        name = self._name("a filter name after '|'")
        if name not in FILTERS:
            raise SyntaxProblem(f"unknown filter '{name}'", at + 1, f"use {_FILTERS_TEXT}")
        if self._peek() != ":":
            if name in ("default", "truncatechars", "date"):
                raise SyntaxProblem(f"'{name}' needs an argument", at + 1, _USAGE[name])
            return Filter(name)
        self.at += 1
        arg_at = self.at
        arg = self._argument()
        _check_argument(name, arg, arg_at + 1)
        return Filter(name, arg)

    def _argument(self) -> str | int:
        quote = self._peek()
        if quote in ('"', "'"):
            return self._quoted(quote)
        at = self.at
        if quote == "-":
            self.at += 1
        while (char := self._peek()) and char in string.digits:
            self.at += 1
        digits = self.text[at : self.at]
        if digits.lstrip("-") and len(digits) <= 9:
            return int(digits)
        raise SyntaxProblem(
            "expected a quoted text or a whole number after ':'",
            at + 1,
            'for example default:"-" or truncatechars:80',
        )

    def _quoted(self, quote: str) -> str:
        at = self.at
        self.at += 1
        chars: list[str] = []
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "\\" and self.at + 1 < len(self.text):
                chars.append(self.text[self.at + 1])
                self.at += 2
            elif char == quote:
                self.at += 1
                return "".join(chars)
            else:
                chars.append(char)
                self.at += 1
        raise SyntaxProblem("unclosed quoted text", at + 1)

    def _name(self, expected: str) -> str:
        at = self.at
        while self.at < len(self.text) and self.text[self.at] in _NAME_CHARACTERS:
            self.at += 1
        name = self.text[at : self.at]
        if not name:
            raise self._unexpected(expected)
        if len(name) > MAX_NAME:
            raise SyntaxProblem(f"a name over {MAX_NAME} characters", at + 1)
        return name

    def _spaces(self) -> None:
        while self.at < len(self.text) and self.text[self.at] in _SPACES:
            self.at += 1

    def _peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def _unexpected(self, expected: str = "'}}'") -> SyntaxProblem:
        char = self._peek()
        if not char:
            return SyntaxProblem("unclosed placeholder: '{{' without '}}'", self.start + 1)
        hint = f"expected {expected}"
        if char == "(":
            hint = "calls are not supported"
        elif char == "[":
            hint = "write data.items.0, not brackets"
        elif char == "{":
            hint = "unbalanced braces"
        return SyntaxProblem(f"unexpected {char!r}", self.at + 1, hint)


_USAGE = {
    "default": 'default:"text" or default:0',
    "truncatechars": f"truncatechars:N with N from 1 to {MAX_TRUNCATE}",
    "date": 'date:"%Y-%m-%d %H:%M" with the codes %' + " %".join(DATE_CODES),
}


def _check_argument(name: str, arg: str | int, character: int) -> None:
    if name in ("upper", "lower", "json"):
        raise SyntaxProblem(f"'{name}' takes no argument", character)
    if name == "truncatechars" and not (isinstance(arg, int) and 1 <= arg <= MAX_TRUNCATE):
        raise SyntaxProblem(f"bad argument for '{name}'", character, _USAGE[name])
    if name == "date":
        if not isinstance(arg, str) or not arg:
            raise SyntaxProblem(f"bad argument for '{name}'", character, _USAGE[name])
        index = 0
        while index < len(arg):
            if arg[index] == "%":
                code = arg[index + 1 : index + 2]
                if not code or code not in DATE_CODES:
                    # The character after the opening quote, if the text holds no escapes.
                    at = character + 1 + index
                    raise SyntaxProblem(f"unknown date code '%{code}'", at, _USAGE[name])
                index += 1
            index += 1
