"""The API's JSON parser: malformed or hostile JSON is a ``ParseError``, never a crash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ..bounded_json import TOO_DEEP, JSONTooDeep, check_depth


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing values nested more than ``bounded_json.MAX_DEPTH`` deep."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return check_depth(super().parse(stream, media_type, parser_context))
        except (RecursionError, JSONTooDeep):
            raise ParseError(TOO_DEEP) from None
