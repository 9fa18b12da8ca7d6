"""POST .../webhooks/{id}/preview: the exact request an event would send, signed, not sent."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from fluent_webhooks import registry, verify
from fluent_webhooks.events.samples import SAMPLE_DATA
from fluent_webhooks.models import Attempt, Delivery, Event, Webhook
from fluent_webhooks.signatures import standard
from tests.conftest import API
from tests.event_samples import DATA

pytestmark = pytest.mark.django_db

SLACK_URL = "https://hooks.slack.com/services/T/B/X"


def test_the_catalog_samples_are_what_the_example_community_sends():
    from fluent_webhooks.events.payloads import to_json_data

    built = {name: to_json_data(data) for name, data in DATA.items()}
    assert built == SAMPLE_DATA
    assert {event.name for event in registry} == set(SAMPLE_DATA)


@pytest.mark.parametrize("webhook_format", ["fluent", "slack", "discord"])
def test_a_preview_is_the_signed_request_and_sends_nothing(api, webhook_format):
    webhook = Webhook.objects.create(
        name="w", url=SLACK_URL, events=["*"], format=webhook_format, format_auto=False
    )
    response = api.post(f"{API}/{webhook.pk}/preview", {"event": "feed.created"}, format="json")
    assert response.status_code == 200, response.json()
    shown = response.json()
    body = shown["body"].encode()
    assert verify(body, shown["headers"]["X-Fluent-Signature"], webhook.secret)
    assert standard.verify(body, shown["headers"], webhook.secret)
    assert shown["format"] == webhook_format
    message = json.loads(body)
    if webhook_format == "fluent":
        assert message["data"] == SAMPLE_DATA["feed.created"]
        assert message["xprofile"]["username"] == "admin"
    assert [Event.objects.count(), Delivery.objects.count(), Attempt.objects.count()] == [0, 0, 0]


def test_a_preview_takes_the_data_it_is_given(api, webhook):
    data = {"id": 9, "title": "Given"}
    shown = api.post(
        f"{API}/{webhook.pk}/preview", {"event": "feed.created", "data": data}, format="json"
    ).json()
    assert json.loads(shown["body"])["data"] == data


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "event"),
        ({"event": "no.such_event"}, "event"),
        ({"event": "feed.created", "data": [1]}, "data"),
    ],
)
def test_a_preview_of_nothing_known_is_invalid_data(api, webhook, body, field):
    response = api.post(f"{API}/{webhook.pk}/preview", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_data"
    assert field in response.json()["data"]["errors"]


def test_a_preview_needs_the_permission(client, member_user, webhook):
    client.force_login(member_user)
    response = client.post(f"{API}/{webhook.pk}/preview", {"event": "feed.created"})
    assert response.status_code in (401, 403)


def test_a_preview_shows_custom_header_names_but_never_their_values(api, client, admin_user):
    webhook = Webhook.objects.create(
        name="w",
        url="https://crm.example.com/hook",
        events=["*"],
        headers={"X-Pass": "hunter2-long-credential", "X-Tenant": "acme-corp-tenant"},
    )
    shown = api.post(f"{API}/{webhook.pk}/preview", {"event": "feed.created"}, format="json")
    assert shown.status_code == 200, shown.json()
    assert shown.json()["headers"]["X-Pass"] == "[redacted]"
    assert shown.json()["headers"]["X-Tenant"] == "[redacted]"
    client.force_login(admin_user)
    page = client.get(
        reverse("admin:fluent_webhooks_webhook_preview", args=[webhook.pk]),
        {"event": "feed.created"},
    )
    assert page.status_code == 200
    assert "X-Pass" in page.content.decode()
    assert "hunter2" not in page.content.decode()
    assert "acme-corp" not in page.content.decode()
