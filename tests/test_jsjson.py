"""Bodies are written exactly as JavaScript's JSON.stringify writes the same value."""

from __future__ import annotations

import json

import pytest

from fluent_webhooks.events.jsjson import format_number, stringify


@pytest.mark.parametrize(
    ("number", "javascript"),
    [
        (1.0, "1"),
        (-2.0, "-2"),
        (0.0, "0"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (1.5, "1.5"),
        (123.456, "123.456"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.00001, "0.00001"),
        (1e16, "10000000000000000"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.2345e22, "1.2345e+22"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (float("nan"), "null"),
        (float("inf"), "null"),
    ],
)
def test_numbers_in_javascript_notation(number, javascript):
    assert format_number(number) == javascript


def test_compact_with_utf8_and_javascript_escapes():
    value = {"text": 'Café "quoted" \\ / \n\t\x01 😀', "ok": True, "none": None, "list": [1, 2.5]}
    assert stringify(value) == (
        '{"text":"Café \\"quoted\\" \\\\ / \\n\\t\\u0001 😀","ok":true,"none":null,"list":[1,2.5]}'
    )


def test_integer_like_keys_come_first_in_ascending_order():
    assert stringify({"b": 1, "10": 2, "a": 3, "2": 4, "01": 5}) == (
        '{"2":4,"10":2,"b":1,"a":3,"01":5}'
    )


def test_round_trips_through_json():
    value = {"event": "feed.created", "data": {"nested": {"list": [{"x": "y"}]}}}
    assert json.loads(stringify(value)) == value


def test_refuses_what_is_not_json_data():
    with pytest.raises(TypeError):
        stringify({"when": object()})
