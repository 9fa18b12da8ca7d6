"""Emitting events and mapping signals to them (no worker: the outbox side only)."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models.signals import post_save
from django.dispatch import Signal
from django.test.utils import CaptureQueriesContext

from fluent_webhooks import registry, send_event
from fluent_webhooks.events.bindings import bindings
from fluent_webhooks.events.payloads import InvalidEventData
from fluent_webhooks.exceptions import ConfigurationError, FluentWebhooksError, UnknownEvent
from fluent_webhooks.models import Event
from tests.conftest import XPROFILE_KEYS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_registries():
    """Undo what a test binds or registers, keeping the example community's bindings."""
    existing = {binding.dispatch_uid for binding in bindings}
    yield
    for binding in bindings:
        if binding.dispatch_uid not in existing:
            bindings.unbind(binding.dispatch_uid)
    registry.reset()


def payload(event: Event) -> dict:
    return json.loads(event.body)


def test_emitting_costs_one_insert_and_one_hand_off(django_capture_on_commit_callbacks, webhook):
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks() as callbacks,
    ):
        send_event("feed.created", {"id": 1})
    assert len(queries) == 1
    assert queries[0]["sql"].startswith("INSERT")
    assert len(callbacks) == 1


def test_payload_structure(admin_user):
    event = send_event("feed.created", {"id": 123, "title": "Hi"}, user=admin_user)
    body = payload(event)
    assert list(body) == ["event", "timestamp", "data", "xprofile"]
    assert body["event"] == "feed.created"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["timestamp"])
    assert body["data"] == {"id": 123, "title": "Hi"}
    assert set(body["xprofile"]) == XPROFILE_KEYS
    assert body["xprofile"]["username"] == "admin"


def test_xprofile_is_null_without_a_user():
    assert payload(send_event("feed.created", {"id": 1}))["xprofile"] is None


def test_xprofile_builder_is_pluggable(settings, admin_user):
    settings.FLUENT_WEBHOOKS = {"XPROFILE_BUILDER": "tests.test_outbox.custom_xprofile"}
    assert payload(send_event("feed.created", {}, user=admin_user))["xprofile"] == {"who": "admin"}


def custom_xprofile(user) -> dict:
    return {"who": user.username}


def test_unknown_event_is_refused():
    with pytest.raises(UnknownEvent):
        send_event("feed.exploded", {})
    assert not Event.objects.exists()


def test_host_events_can_be_registered():
    registry.register("badge.awarded", "user", "A user is awarded a badge")
    assert payload(send_event("badge.awarded", {"badge": "gold"}))["event"] == "badge.awarded"


def test_data_that_is_not_json_is_refused_at_emit_time():
    with pytest.raises(TypeError, match="convert it"):
        send_event("feed.created", {"when": object()})


def test_data_that_is_not_json_is_refused_with_its_path():
    with pytest.raises(TypeError, match=r"^data\.items\[1\]\.when: Cannot put a object "):
        send_event("feed.created", {"items": [{}, {"when": object()}]})
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"items": [1, 2, 3, {"score": float("nan")}]}, "data.items[3].score: NaN is not JSON"),
        ({"score": float("inf")}, "data.score: Infinity is not JSON"),
        ({"a": {"b": [float("-inf")]}}, "data.a.b[0]: -Infinity is not JSON"),
        ({1: "a", "1": "b"}, 'data["1"]: two keys of this object are both "1" in JSON'),
        ({"x": {True: 1, "True": 2}}, 'data.x.True: two keys of this object are both "True"'),
        ({"text": "ok \ud800 ko"}, "data.text: a lone surrogate (U+D800) is not JSON text"),
        ({"list": ["\udfff"]}, "data.list[0]: a lone surrogate (U+DFFF) is not JSON text"),
        ({"k\ud83d": 1}, 'data["k\\ud83d"]: a lone surrogate (U+D83D) in this key'),
        ({"a b": {"c": float("nan")}}, 'data["a b"].c: NaN is not JSON'),
    ],
)
def test_data_json_cannot_carry_exactly_is_refused_with_its_path(data, message):
    with pytest.raises(InvalidEventData, match="^" + re.escape(message)):
        send_event("feed.created", data)
    assert not Event.objects.exists()


def test_refused_data_is_a_value_error_and_a_fluent_webhooks_error():
    with pytest.raises(ValueError):
        send_event("feed.created", {"score": float("nan")})
    with pytest.raises(FluentWebhooksError):
        send_event("feed.created", {"score": float("nan")})


def test_data_json_carries_exactly_is_unchanged():
    data = {"1": "a", 2: "b", "emoji": "\U0001f600", "score": 1.5, "big": 10**20}
    assert payload(send_event("feed.created", data))["data"] == {
        "1": "a",
        "2": "b",
        "emoji": "\U0001f600",
        "score": 1.5,
        "big": 10**20,
    }


def test_model_signal_binding_with_condition_data_and_user(admin_user):
    bindings.bind(
        post_save,
        "space.created",
        sender=Group,
        when=lambda instance, created, **kwargs: created,
        data=lambda instance, **kwargs: {"id": instance.pk, "title": instance.name},
        user=lambda instance, **kwargs: admin_user,
    )
    group = Group.objects.create(name="Django Devs")
    group.name = "Renamed"
    group.save()  # not created: the condition refuses it
    (event,) = Event.objects.all()
    assert payload(event)["data"] == {"id": group.pk, "title": "Django Devs"}
    assert payload(event)["xprofile"]["user_id"] == admin_user.pk


def test_custom_signal_binding():
    feed_pinned = Signal()
    bindings.bind(feed_pinned, "feed.pinned", data=lambda feed_id, **kwargs: {"id": feed_id})
    feed_pinned.send(sender=None, feed_id=9)
    assert payload(Event.objects.get())["data"] == {"id": 9}


def test_binding_an_unknown_event_fails_loudly():
    with pytest.raises(ConfigurationError):
        bindings.bind(Signal(), "feed.exploded", data=lambda **kwargs: {})


@pytest.mark.parametrize("argument", ["data", "when", "user"])
def test_binding_with_a_placeholder_instead_of_a_callable_fails_loudly(argument):
    """A copied ``user=...`` fails where it is written, not at the first signal."""
    callables = {"data": lambda **kwargs: {}, argument: ...}
    with pytest.raises(ConfigurationError, match=f"{argument} must be a callable"):
        bindings.bind(Signal(), "feed.pinned", **callables)


def test_unbind_disconnects():
    signal = Signal()
    binding = bindings.bind(signal, "feed.pinned", data=lambda **kwargs: {})
    bindings.unbind(binding.dispatch_uid)
    signal.send(sender=None)
    assert not Event.objects.exists()
