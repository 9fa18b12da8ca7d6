"""Committed events reach the broker at once, or, in a WSGI request, after the response."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from fluent_webhooks import send_event
from fluent_webhooks.dispatch import broker
from fluent_webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Send the request signals as Django's test client does: without closing the test's
    database connection, which holds its transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def published(monkeypatch) -> list[list[int]]:
    """What was handed to the broker, one list of event ids per message."""
    messages: list[list[int]] = []

    def record(event_ids: list[int]) -> bool:
        messages.append(list(event_ids))
        return True

    monkeypatch.setattr(broker, "request_fan_out", record)
    return messages


def test_outside_a_request_an_event_is_handed_off_on_commit(
    published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        event = send_event("feed.created", {"id": 1})
    assert published == [[event.pk]]


def test_in_a_wsgi_request_events_wait_for_the_response(
    published, django_capture_on_commit_callbacks
):
    request_started.send(sender=None, environ={"REQUEST_METHOD": "POST"})
    with django_capture_on_commit_callbacks(execute=True):
        first = send_event("feed.created", {"id": 1})
    with django_capture_on_commit_callbacks(execute=True):
        second = send_event("comment.created", {"id": 2})
    assert published == []  # nothing while the response is being made
    request_finished.send(sender=None)
    assert published == [[first.pk, second.pk]]  # one message after it


def test_under_asgi_events_are_handed_off_at_once(published, django_capture_on_commit_callbacks):
    request_started.send(sender=None, scope={"type": "http"})
    with django_capture_on_commit_callbacks(execute=True):
        event = send_event("feed.created", {"id": 1})
    assert published == [[event.pk]]
    request_finished.send(sender=None)
    assert published == [[event.pk]]


def test_a_refused_hand_off_leaves_the_events_to_the_sweeper(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(broker, "request_fan_out", lambda event_ids: False)
    request_started.send(sender=None, environ={})
    with django_capture_on_commit_callbacks(execute=True):
        send_event("feed.created", {"id": 1})
        send_event("feed.created", {"id": 2})
    request_finished.send(sender=None)
    assert list(Event.objects.values_list("enqueued_at", flat=True)) == [None, None]


@pytest.mark.parametrize("in_a_request", [False, True])
def test_a_failing_fallback_write_never_reaches_the_caller(
    monkeypatch, django_capture_on_commit_callbacks, caplog, in_a_request
):
    """The broker refuses and the database drops as the events are marked owed: the caller's
    code goes on, the failure is logged, and the events keep ``enqueued_at`` for the sweep."""
    from django.db import OperationalError
    from django.db.models import QuerySet

    monkeypatch.setattr(broker, "request_fan_out", lambda event_ids: False)

    def dropped(self, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    if in_a_request:
        request_started.send(sender=None, environ={})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = send_event("feed.created", {"id": 1})
    monkeypatch.setattr(QuerySet, "update", dropped)
    for callback in callbacks:
        callback()  # as Django runs it after the commit: nothing may escape
    if in_a_request:
        request_finished.send(sender=None)
    monkeypatch.undo()
    assert "left for the sweeper" in caplog.text
    event.refresh_from_db()
    assert event.enqueued_at is not None  # still owed: the sweep re-hands stuck hand-offs
