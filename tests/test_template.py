"""Administrator-written JSON templates: what is refused and where, what stays inert, the caps,
and the SendGrid example against the fake SendGrid for every event.

No database: payloads are built from the example community's data (``tests.event_samples``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from fluent_webhooks.events.payloads import build_payload
from fluent_webhooks.messages import template
from fluent_webhooks.messages.template import (
    MAX_DEPTH,
    MAX_RENDERED_BYTES,
    MAX_TEMPLATE_BYTES,
    SENDGRID_EXAMPLE,
    CompiledTemplate,
    TemplateInvalid,
    TemplateTooLarge,
    compile_template,
    render,
    validate_template,
)
from tests.event_samples import DATA, WHEN, XPROFILE
from tests.fake_services import sendgrid_problems, sendgrid_receiver

BEARER = {"Authorization": "Bearer SG.test-key", "Content-Type": "application/json"}


def payload(event: str = "feed.created", data: Any = None, xprofile: Any = XPROFILE) -> dict:
    return build_payload(event, DATA[event] if data is None else data, xprofile, WHEN)


def invalid(value: object) -> TemplateInvalid:
    with pytest.raises(TemplateInvalid) as caught:
        validate_template(value)
    return caught.value


def encoded(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# Validation: each refusal names the problem and where


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ data.title | shout }}", "unknown filter 'shout' at /subject (character 17)"),
        ("{{ data.__class__ }}", "'__class__' is not allowed at /subject (character 9)"),
        ("{{ data.title.upper() }}", "unexpected '(' at /subject (character 20)"),
        ('{% include "x.html" %}', "template tags ({% ... %}) are not supported at /subject"),
        (
            "Hi {% if data %}",
            "template tags ({% ... %}) are not supported at /subject (character 4)",
        ),
        ("{{ settings.SECRET_KEY }}", "unknown name 'settings' at /subject (character 4)"),
        ("{{ request.user }}", "unknown name 'request' at /subject"),
        ("{{ data['title'] }}", "unexpected '[' at /subject (character 8)"),
        ("{{ data.title", "unclosed placeholder: '{{' without '}}' at /subject (character 1)"),
        ("ok {{ event }} }}", "unbalanced '}}' without '{{' before it at /subject (character 16)"),
        ("{{{ event }}}", "unexpected '{' at /subject (character 3)"),
        ("{{ }}", "unexpected '}' at /subject (character 4)"),
        ("{{ data. }}", "unexpected ' ' at /subject (character 9)"),
        ("{{ data | }}", "unexpected '}' at /subject (character 11)"),
        ("{{ data.title | truncatechars }}", "'truncatechars' needs an argument"),
        ("{{ data.title | truncatechars:0 }}", "bad argument for 'truncatechars'"),
        ("{{ data.title | truncatechars:100001 }}", "bad argument for 'truncatechars'"),
        ('{{ data.title | truncatechars:"8" }}', "bad argument for 'truncatechars'"),
        ("{{ data.title | truncatechars:x }}", "expected a quoted text or a whole number"),
        ("{{ data.title | upper:1 }}", "'upper' takes no argument at /subject (character 23)"),
        ('{{ data.title | default:"x }}', "unclosed quoted text at /subject (character 25)"),
        ("{{ data.title | default }}", "'default' needs an argument"),
        ('{{ timestamp | date:"%Y %Q" }}', "unknown date code '%Q' at /subject (character 25)"),
        ('{{ timestamp | date:"%" }}', "unknown date code '%'"),
        ('{{ timestamp | date:"" }}', "bad argument for 'date'"),
    ],
)
def test_a_bad_placeholder_is_refused_with_the_problem_and_where(text: str, message: str) -> None:
    error = invalid({"subject": text})
    assert message in str(error)
    assert error.where == "/subject"
    assert isinstance(error, ValueError)


def test_where_is_a_json_pointer_to_the_string() -> None:
    bad = {"personalizations": [{"to": [{"email": "{{ data.x | nope }}"}]}]}
    assert invalid(bad).where == "/personalizations/0/to/0/email"
    assert invalid({"a/b": {"c~d": "{{ nope }}"}}).where == "/a~1b/c~0d"
    error = invalid("{{ nope }}")
    assert error.where == ""
    assert "at the top level (character 4)" in str(error)


def test_the_hint_names_what_is_allowed() -> None:
    assert "use default, truncatechars, upper, lower, date or json" in str(
        invalid("{{ event | shout }}")
    )
    assert "calls are not supported" in str(invalid("{{ data.title.upper() }}"))
    assert "a path starts with event, timestamp, data or xprofile" in str(invalid("{{ os }}"))


@pytest.mark.parametrize(
    ("value", "message", "where"),
    [
        ({"a": (1, 2)}, "a tuple, not a JSON value, at /a", "/a"),
        ({"a": {1, 2}}, "a set, not a JSON value, at /a", "/a"),
        ({"a": object()}, "not a JSON value, at /a", "/a"),
        ({"a": [float("nan")]}, "a number JSON cannot hold (nan) at /a/0", "/a/0"),
        ({"a": float("inf")}, "a number JSON cannot hold (inf) at /a", "/a"),
        ({1: "x"}, "a key that is not a string at /1", "/1"),
        (
            {"{{ data.title }}": "x"},
            "a placeholder in a key at /{{ data.title }}",
            "/{{ data.title }}",
        ),
        ({"k": {"{% x %}": 1}}, "a placeholder in a key", "/k/{% x %}"),
        ({"k": "ok \ud800"}, "a lone surrogate (not UTF-8 text) at /k (character 4)", "/k"),
    ],
)
def test_only_json_values_are_templates(value: object, message: str, where: str) -> None:
    error = invalid(value)
    assert message in str(error)
    assert error.where == where


def test_nesting_is_capped() -> None:
    deep: Any = "{{ event }}"
    for _ in range(MAX_DEPTH):
        deep = [deep]
    assert validate_template(deep) is deep
    error = invalid({"x": deep})
    assert f"nested deeper than {MAX_DEPTH} levels" in str(error)
    assert error.where == "/x" + "/0" * (MAX_DEPTH - 1)
    # Even absurd nesting (or a cycle) is refused without recursing.
    cycle: list[Any] = []
    cycle.append(cycle)
    assert "nested deeper" in str(invalid(cycle))
    absurd: Any = []
    for _ in range(100_000):
        absurd = [absurd]
    assert "nested deeper" in str(invalid(absurd))


def test_the_template_size_is_capped_in_utf8_bytes() -> None:
    fits = {"a": "x" * (MAX_TEMPLATE_BYTES - len('{"a":""}'))}
    assert len(encoded(fits)) == MAX_TEMPLATE_BYTES
    assert validate_template(fits) is fits
    error = invalid({"a": "é" * (MAX_TEMPLATE_BYTES // 2)})
    assert f"over {MAX_TEMPLATE_BYTES} bytes" in str(error)
    assert error.where == ""
    assert f"over {MAX_TEMPLATE_BYTES} bytes" in str(invalid(list(range(100_000))))


def test_valid_templates_come_back_unchanged() -> None:
    for value in (None, True, 3, 2.5, "plain", [], {}, SENDGRID_EXAMPLE):
        assert validate_template(value) is value
    text = "{{event}}{{ data.items.0.name|upper|truncatechars:5 }}{{ xprofile.x_1 | default:-1 }}"
    assert validate_template(text) == text


# Rendering


def test_only_string_values_are_templated_and_keys_never() -> None:
    rendered = render({"event": "{{ event }}", "n": 3, "list": ["{{ data.id }}", None]}, payload())
    assert rendered == {"event": "feed.created", "n": 3, "list": [123, None]}


def test_a_whole_placeholder_keeps_the_json_type() -> None:
    data = {"n": 5, "f": 2.5, "t": True, "z": None, "l": [1, "a"], "o": {"k": [{}]}, "s": "x"}
    tpl = {key: f"  {{{{ data.{key} }}}} " for key in data}
    assert render(tpl, payload(data=data)) == data
    assert render("{{ data }}", payload(data=data)) == data
    assert render("{{ data.missing }}", payload(data=data)) is None
    assert render("{{ data.missing | default:0 }}", payload(data=data)) == 0


def test_values_inside_a_longer_string_are_written_as_text() -> None:
    data = {"n": 5, "f": 2.5, "big": 1e20, "t": False, "z": None, "l": [1, "é"], "o": {"k": 1}}
    got = render(
        "{{data.n}}|{{data.f}}|{{data.big}}|{{data.t}}|{{data.z}}|{{data.nope}}|"
        "{{data.l}}|{{data.o}}",
        payload(data=data),
    )
    assert got == '5|2.5|1e+20|false|||[1,"é"]|{"k":1}'


def test_paths_reach_into_objects_and_lists_only() -> None:
    data = {"items": [{"name": "first"}, {"name": "second"}], "title": "T", "0": "zero"}
    p = payload(data=data)
    assert render("{{ data.items.1.name }}", p) == "second"
    assert render("{{ data.0 }}", p) == "zero"  # a key that looks like an index
    for path in (
        "data.items.2.name",
        "data.items.x",
        "data.title.0",
        "data.title.length",
        "data.items.99999999999999999999",
        "xprofile.meta.website.x",
        "event.0",
    ):
        assert render(f"{{{{ {path} }}}}", p) is None
        assert render(f"<{{{{ {path} }}}}>", p) == "<>"


def test_odd_payloads_render_empty_and_never_raise() -> None:
    tpl = compile_template(
        {
            "a": "{{ data.x.y | upper }}",
            "b": 'x{{ xprofile.name | date:"%Y" }}',
            "c": "{{ event | json }}",
            "d": "{{ timestamp | truncatechars:3 }}",
        }
    )
    for odd in (
        None,
        [],
        "text",
        5,
        {"data": None, "xprofile": "x", "event": None},
        {"data": {"x": object()}},
        {"data": {"x": {"y": float("nan")}}},
    ):
        assert tpl.render(odd) == {"a": None, "b": "x", "c": "null", "d": None}
    deep: Any = "bottom"
    for _ in range(5000):
        deep = {"k": deep}
    rendered = render("{{ data }}", {"data": deep})
    assert json.dumps(rendered)  # cut to null below MAX_VALUE_DEPTH, no RecursionError
    weird = {
        "data": {
            "s": "\ud83d lone",
            "pair": "\ud83d\ude00",
            "n": float("inf"),
            "i": 10**5000,
            3: "int key",
            "o": object(),
            "t": (1, 2),
        }
    }
    got = render({"a": "{{ data }}", "b": "{{ data.s }}/{{ data.pair }}/{{ data.i }}"}, weird)
    assert got["a"] == {
        "s": "\ufffd lone",
        "pair": "😀",
        "n": None,
        "i": None,
        "o": None,
        "t": [1, 2],
    }
    assert got["b"] == "\ufffd lone/😀/"
    assert encoded(got)  # always UTF-8 JSON


def test_payload_content_stays_inert() -> None:
    nasty = '"}, "x": 1, {{ data.secret }} {% include "a" %} \\" }} {{'
    data = {"title": nasty, "secret": "leaked", "json": '{"injected": true}'}
    tpl = {"subject": "[{{ data.title }}]", "whole": "{{ data.title }}", "j": "{{ data.json }}"}
    got = render(tpl, payload(data=data))
    assert got == {"subject": f"[{nasty}]", "whole": nasty, "j": '{"injected": true}'}
    assert "leaked" not in json.dumps(got)
    assert json.loads(encoded(got)) == got
    assert set(got) == set(tpl)


@pytest.mark.parametrize(
    ("text", "data", "expected"),
    [
        ('{{ data.t | default:"(untitled)" }}', {}, "(untitled)"),
        ('{{ data.t | default:"(untitled)" }}', {"t": None}, "(untitled)"),
        ('{{ data.t | default:"(untitled)" }}', {"t": ""}, "(untitled)"),
        ('{{ data.t | default:"(untitled)" }}', {"t": 0}, 0),
        ('{{ data.t | default:"(untitled)" }}', {"t": False}, False),
        ("{{ data.t | default:'it\\'s' }}", {}, "it's"),
        ('{{ data.t | default:"a|b }}" }}', {}, "a|b }}"),
        ("{{ data.t | truncatechars:5 }}", {"t": "Hello world"}, "Hell…"),
        ("{{ data.t | truncatechars:5 }}", {"t": "Hello"}, "Hello"),
        ("{{ data.t | truncatechars:1 }}", {"t": "Hello"}, "…"),
        ("{{ data.t | truncatechars:3 }}", {"t": 123456}, "12…"),
        ("{{ data.t | truncatechars:3 }}", {}, None),
        ("{{ data.t | upper }}", {"t": "straße"}, "STRASSE"),
        ("{{ data.t | lower }}", {"t": "ÀB"}, "àb"),
        ("{{ data.t | upper }}", {"t": 1.5}, "1.5"),
        ("{{ data.t | upper }}", {}, None),
        ("{{ data.t | json }}", {"t": {"a": [1, None]}}, '{"a":[1,null]}'),
        ("{{ data.t | json }}", {"t": 'say "hi"'}, '"say \\"hi\\""'),
        ("{{ data.t | json }}", {}, "null"),
        ('{{ data.t | date:"%Y-%m-%d" }}', {"t": "2024-01-15 10:30:00"}, "2024-01-15"),
        (
            '{{ data.t | date:"%d %b %Y %H:%M" }}',
            {"t": "2024-03-05T16:37:02Z"},
            "05 Mar 2024 16:37",
        ),
        (
            '{{ data.t | date:"%A %B %j %I%p %y %z %%Y" }}',
            {"t": "2024-12-31T23:05:00+05:30"},
            "Tuesday December 366 11PM 24 +0530 %Y",
        ),
        (
            '{{ data.t | date:"%H:%M:%S %z" }}',
            {"t": "2024-01-15T10:30:00.123-02:00"},
            "10:30:00 -0200",
        ),
        ('{{ data.t | date:"%Y" }}', {"t": "2024-01-15"}, "2024"),
        ('{{ data.t | date:"%Y" }}', {"t": "2024-13-45 10:30:00"}, None),
        ('{{ data.t | date:"%Y" }}', {"t": "yesterday"}, None),
        (
            '{{ data.t | date:"%Y" }}',
            {"t": "\uff12\uff10\uff12\uff14-01-15"},
            None,
        ),  # fullwidth digits
        ('{{ data.t | date:"%Y" }}', {"t": 1705314600}, None),
        ('{{ data.t | date:"%Y" | default:"never" }}', {"t": "soon"}, "never"),
        ('{{ data.t | default:"x" | upper | truncatechars:2 }}', {}, "X"),
    ],
)
def test_filters(text: str, data: dict, expected: Any) -> None:
    assert render(text, payload(data=data)) == expected


def test_the_payload_timestamp_and_data_datetimes_format() -> None:
    p = payload("comment.created")
    assert p["timestamp"] == "2024-01-15T10:30:00Z"
    got = render('{{ timestamp | date:"%d/%m/%Y %H:%M" }} {{ data.created_at | date:"%a %z" }}', p)
    assert got == "15/01/2024 10:30 Mon +0000"


def test_a_template_is_parsed_once() -> None:
    tpl = {"subject": "{{ event }}"}
    first = compile_template(tpl)
    assert compile_template({"subject": "{{ event }}"}) is first
    assert isinstance(first, CompiledTemplate)
    assert render(first, payload()) == {"subject": "feed.created"}
    assert render(first, payload("space.created")) == {"subject": "space.created"}


# Caps


def test_a_rendering_over_the_cap_is_refused() -> None:
    p = payload(data={"t": "x" * (MAX_RENDERED_BYTES - 100)})
    assert len(encoded(render({"a": "{{ data.t }}"}, p))) < MAX_RENDERED_BYTES
    with pytest.raises(TemplateTooLarge):
        render({"a": "{{ data.t }}", "b": "{{ data.t }}"}, p)
    with pytest.raises(TemplateTooLarge):
        render({"a": "{{ data.t }}", "b": "<{{ data.t }}>"}, p)
    # Counted in UTF-8 bytes, as sent: 2 bytes a character here.
    with pytest.raises(TemplateTooLarge):
        render("{{ data.t }}", payload(data={"t": "é" * (MAX_RENDERED_BYTES // 2)}))
    assert issubclass(TemplateTooLarge, ValueError)


def test_huge_payload_values_are_handled_in_bounded_work() -> None:
    huge = "ab" * 25_000_000  # 50 MB
    data = {"t": huge, "list": list(range(2_000_000)), "obj": {str(i): i for i in range(300_000)}}
    p = payload(data=data)
    # Truncated first, a huge string costs nothing more than its slice.
    tpl = {f"k{i}": "{{ data.t | truncatechars:80 }}" for i in range(400)}
    rendered = render(tpl, p)
    assert all(len(value) == 80 for value in rendered.values())
    # Cased or written whole, it is stopped by the caps, not copied 500 times.
    for text in (
        "{{ data.t | upper | truncatechars:10 }}",
        "{{ data.list }}",
        "{{ data.obj }}",
        "x{{ data.list }}",
        "{{ data.obj | json | truncatechars:10 }}",
        "{{ data.t }}",
    ):
        # Stopped while copying (the running count), not after building the whole body.
        with pytest.raises(TemplateTooLarge, match=r"is over|steps"):
            render({f"k{i}": text for i in range(300)}, p)
    # upper sees at most a window of the string the size of the cap.
    one = render("{{ data.t | upper | truncatechars:4 }}", p)
    assert one == "ABA…"


def test_the_scanner_is_linear_in_the_template() -> None:
    # Inputs that trap backtracking regular expressions parse (or fail) in one pass.
    almost = "{{ data" + ".a" * 5000
    assert "unclosed placeholder" in str(invalid(almost))
    many = "{{ event }}" * 1400
    assert len(render(many, payload())) == len("feed.created") * 1400
    opening = "{" * 15_000
    assert "unexpected '{'" in str(invalid(opening))
    quotes = '{{ data | default:"' + "\\\\" * 3000
    assert "unclosed quoted text" in str(invalid(quotes))


# SendGrid


def test_the_sendgrid_example_renders_a_valid_mail_for_every_event() -> None:
    assert len(DATA) == 24
    for event in DATA:
        mail = render(SENDGRID_EXAMPLE, payload(event))
        assert sendgrid_problems(encoded(mail), BEARER) is None, event
        assert mail["subject"].startswith(f"{event}: ")
        assert len(mail["subject"]) <= len(event) + 2 + 78
        assert "Ada Lovelace (@ada)" in mail["content"][0]["value"]
        assert "Monday 15 January 2024, 10:30 (UTC+0000)" in mail["content"][0]["value"]


def test_the_sendgrid_example_with_odd_data() -> None:
    for data in ({}, {"title": "t" * 500, "message": "m" * 10_000}, {"title": None}):
        for xprofile in (None, XPROFILE):
            mail = render(SENDGRID_EXAMPLE, payload("feed.created", data, xprofile))
            assert sendgrid_problems(encoded(mail), BEARER) is None
    mail = render(SENDGRID_EXAMPLE, payload("feed.created", {}, None))
    assert mail["subject"] == "feed.created: new activity"
    assert "By: someone (@unknown)" in mail["content"][0]["value"]


def test_fake_sendgrid_refuses_as_documented() -> None:
    good = render(SENDGRID_EXAMPLE, payload())

    def fields(mail: Any, headers: Any = BEARER) -> tuple[int, list[Any]]:
        status, body = sendgrid_problems(encoded(mail), headers)
        assert all(set(e) == {"message", "field", "help"} for e in body["errors"])
        return status, [e["field"] for e in body["errors"]]

    assert fields(good, {}) == (401, [None])
    assert fields(good, {"authorization": "Basic abc"}) == (401, [None])
    assert fields(good, {"Authorization": "Bearer "}) == (401, [None])
    assert sendgrid_problems(b"{", BEARER)[0] == 400
    assert fields({**good, "personalizations": []}) == (400, ["personalizations"])
    assert fields({**good, "personalizations": [{"to": [{"email": "nope"}]}]}) == (
        400,
        ["personalizations.0.to.0"],
    )
    assert fields({**good, "personalizations": [{"cc": [{"email": "a@b.co"}]}]}) == (
        400,
        ["personalizations.0"],
    )
    twice = [{"to": [{"email": "a@b.co"}], "bcc": [{"email": "A@b.co"}]}]
    assert fields({**good, "personalizations": twice}) == (400, ["personalizations.0.bcc.0.email"])
    assert fields({k: v for k, v in good.items() if k != "from"}) == (400, ["from.email"])
    assert fields({k: v for k, v in good.items() if k != "subject"}) == (400, ["subject"])
    assert fields({**good, "subject": ""}) == (400, ["subject"])
    assert fields({k: v for k, v in good.items() if k != "content"}) == (400, ["content"])
    assert fields({**good, "content": [{"type": "text/plain", "value": ""}]}) == (
        400,
        ["content.0.value"],
    )
    assert fields({**good, "content": [{"type": "text/plain;x", "value": "v"}]}) == (
        400,
        ["content.0.type"],
    )
    html_first = [{"type": "text/html", "value": "<p>v</p>"}, {"type": "text/plain", "value": "v"}]
    assert fields({**good, "content": html_first}) == (400, ["content"])
    assert fields({**good, "categories": ["a", "a"]}) == (400, ["categories"])
    # A template_id stands in for subject and content; a subject in every envelope for the subject.
    templated = {k: v for k, v in good.items() if k not in ("subject", "content")}
    assert sendgrid_problems(encoded({**templated, "template_id": "d-1"}), BEARER) is None
    each = [{"to": [{"email": "a@b.co"}], "subject": "s"}]
    no_subject = {k: v for k, v in good.items() if k != "subject"}
    assert sendgrid_problems(encoded({**no_subject, "personalizations": each}), BEARER) is None


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_sendgrid_receiver_accepts_the_rendered_example(receiver) -> None:
    service = sendgrid_receiver(receiver)
    mail = render(SENDGRID_EXAMPLE, payload("report.created"))
    assert post(receiver.url("/v3/mail/send"), encoded(mail), BEARER) == (202, b"")
    status, body = post(receiver.url("/v3/mail/send"), encoded(mail), {})
    assert status == 401
    assert json.loads(body)["errors"][0]["message"] == "authorization required"
    assert service.accepted == [mail]
    assert [status for status, _ in service.refused] == [401]


def test_the_module_documents_its_filters() -> None:
    doc = template.__doc__ or ""
    for name in template.FILTERS:
        assert f"``{name}" in doc
