"""Paging a list as the WordPress REST API pages it: ``page`` and ``per_page`` in, the items
and ``X-WP-Total`` / ``X-WP-TotalPages`` out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from . import errors

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
# Beyond any real log; keeps the OFFSET a database can compute.
MAX_PAGE = 10**9

_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    total_pages: int

    def headers(self) -> dict[str, str]:
        return {"X-WP-Total": str(self.total), "X-WP-TotalPages": str(self.total_pages)}


def page_params(query: Mapping[str, str]) -> tuple[int, int]:
    """``(page, per_page)`` from the query string; a bad value is ``invalid_data`` naming it."""
    problems: dict[str, str] = {}
    page = _whole_number(query.get("page"), 1, MAX_PAGE)
    if page is None:
        problems["page"] = "page must be a whole number, at least 1."
    per_page = _whole_number(query.get("per_page"), DEFAULT_PER_PAGE, MAX_PER_PAGE)
    if per_page is None:
        problems["per_page"] = f"per_page must be a whole number from 1 to {MAX_PER_PAGE}."
    if problems:
        raise errors.invalid_params(problems)
    assert page is not None
    assert per_page is not None
    return page, per_page


def paginate(queryset: QuerySet[_M], page: int, per_page: int) -> Page:
    """One page of ``queryset``; a page past the last (of a non-empty list) is WordPress's
    ``rest_post_invalid_page_number``."""
    total = queryset.count()
    total_pages = -(-total // per_page)
    if total and page > total_pages:
        raise errors.ApiError(
            "rest_post_invalid_page_number",
            "The page number requested is larger than the number of pages available.",
            400,
        )
    start = (page - 1) * per_page
    return Page(list(queryset[start : start + per_page]), total, total_pages)


def _whole_number(value: str | None, default: int, maximum: int) -> int | None:
    if value is None:
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= len(str(maximum))):
        return None
    number = int(value)
    return number if 1 <= number <= maximum else None
