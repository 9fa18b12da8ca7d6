"""The example project's inspector: receives deliveries and shows whether they verify."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from example_project.inspector.models import Inbox, ReceivedDelivery
from fluent_webhooks import standard_signing
from fluent_webhooks.signatures.fluent import sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(webhook) -> Inbox:
    return Inbox.objects.create(webhook=webhook)


def post(inbox: Inbox, body: bytes, signature: str, **headers) -> int:
    return (
        Client()
        .post(
            f"/inspector/{inbox.token}/",
            data=body,
            content_type="application/json",
            HTTP_X_FLUENT_SIGNATURE=signature,
            HTTP_X_FLUENT_EVENT="feed.created",
            HTTP_X_FLUENT_DELIVERY="d-1",
            **headers,
        )
        .status_code
    )


def test_valid_delivery_is_stored_and_acknowledged(inbox, webhook):
    body = b'{"event":"feed.created","data":{"id":1}}'
    standard = standard_signing.headers("d-1", int(time.time()), body, webhook.secret)
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in standard.items()}
    assert (
        post(inbox, body, sign(body, webhook.secret), HTTP_AUTHORIZATION="Bearer s3", **extra)
        == 200
    )
    (received,) = ReceivedDelivery.objects.all()
    assert received.signature_valid
    assert received.standard_signature_valid
    assert (received.event, received.delivery_id) == ("feed.created", "d-1")
    assert received.headers["Authorization"] == "[redacted]"


def test_bad_signature_is_stored_as_invalid_and_refused(inbox):
    body = b'{"event":"feed.created"}'
    assert post(inbox, body, sign(body, "whsec_wrong")) == 401
    received = ReceivedDelivery.objects.get()
    assert not received.signature_valid
    assert not received.standard_signature_valid


def test_page_lists_deliveries_newest_first(inbox, webhook):
    for number in (1, 2):
        body = json.dumps({"event": "feed.created", "data": {"n": number}}).encode()
        post(inbox, body, sign(body, webhook.secret))
    page = Client().get(f"/inspector/{inbox.token}/").content.decode()
    assert page.index("&quot;n&quot;: 2") < page.index("&quot;n&quot;: 1")
    assert "signature valid" in page
    listed = Client().get(f"/inspector/{inbox.token}/received.json").json()["received"]
    assert [item["body"]["data"]["n"] for item in listed] == [2, 1]


def test_unknown_inbox_is_not_found(db):
    assert Client().get("/inspector/nope/").status_code == 404


@pytest.mark.parametrize(
    ("webhook_format", "shown"),
    [
        ("slack", ["As Slack shows it", "Ada Lovelace posted", "View (https://c.example/f/1)"]),
        ("discord", ["As Discord shows it", "New post", "Example Community"]),
    ],
)
def test_chat_messages_are_shown_as_the_service_would(inbox, webhook, webhook_format, shown):
    from fluent_webhooks.events.payloads import build_payload
    from fluent_webhooks.messages import discord, slack
    from tests.event_samples import DATA, WHEN, XPROFILE

    render = {"slack": slack.message, "discord": discord.message}[webhook_format]
    payload = build_payload("feed.created", DATA["feed.created"], XPROFILE, WHEN)
    message = render(
        "feed.created", payload, link="https://c.example/f/1", site="Example Community"
    )
    body = json.dumps(message).encode()
    assert post(inbox, body, sign(body, webhook.secret)) == 200
    page = Client().get(f"/inspector/{inbox.token}/").content.decode()
    for text in shown:
        assert text in page
