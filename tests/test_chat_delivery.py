"""The specification's Slack, Discord and e-mail use cases, end to end: a webhook created with
the specification's own request, events through the real worker, and receivers that answer as
Slack's and Discord's incoming webhooks and SendGrid's mail API do (tests/fake_services.py),
reached at their real host names over HTTPS through CONNECT_TO, never through DNS."""

from __future__ import annotations

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from fluent_webhooks import send_event
from fluent_webhooks.messages.template import SENDGRID_EXAMPLE
from fluent_webhooks.models import Delivery
from tests.conftest import API, basic_auth
from tests.event_samples import DATA
from tests.fake_services import FakeService, discord_receiver, sendgrid_receiver, slack_receiver
from tests.services import wait_until
from tests.test_formats import DISCORD, EMAIL, SLACK

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slack(live, chat_services):
    chat_services.slack.requests.clear()
    yield slack_receiver(chat_services.slack)
    chat_services.slack.respond = None


@pytest.fixture
def sendgrid(live, chat_services):
    chat_services.sendgrid.requests.clear()
    yield sendgrid_receiver(chat_services.sendgrid)
    chat_services.sendgrid.respond = None


@pytest.fixture
def discord(live, chat_services):
    chat_services.discord.requests.clear()
    yield discord_receiver(chat_services.discord, rate_limited=1)
    chat_services.discord.respond = None


def create(body: dict, admin_user) -> dict:
    """POST the body as the specification's fetch() does, with Basic credentials."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(admin_user.username))
    response = client.post(API, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def emit_all(events: list[str], user, data: dict | None = None) -> None:
    for name in events:
        with transaction.atomic():
            send_event(name, data or DATA[name], user=user)


def all_delivered(service: FakeService, count: int) -> None:
    wait_until(lambda: len(service.accepted) >= count, 30, f"{count} accepted messages")
    wait_until(
        lambda: not Delivery.objects.exclude(status="succeeded").exists(),
        15,
        "every delivery to be recorded as succeeded",
    )


def test_the_specifications_slack_request_gets_messages_slack_accepts(slack, admin_user):
    webhook = create(SLACK, admin_user)
    assert webhook["format"] == "slack"
    emit_all(SLACK["events"], admin_user)
    all_delivered(slack, len(SLACK["events"]))
    assert slack.refused == []
    assert all(message["text"] and message["blocks"] for message in slack.accepted)


def test_every_event_reaches_slack_and_discord_as_messages_they_accept(slack, discord, admin_user):
    create({**SLACK, "events": ["*"]}, admin_user)
    create({**DISCORD, "events": ["*"]}, admin_user)
    emit_all(list(DATA), admin_user)
    all_delivered(slack, 24)
    all_delivered(discord, 24)
    assert slack.refused == []
    # Discord's first answer was 429 with Retry-After; the delivery waited and was accepted.
    assert [status for status, _ in discord.refused] == [429]
    assert all(m["allowed_mentions"] == {"parse": []} for m in discord.accepted)


def test_a_post_that_tries_to_ping_everyone_pings_no_one(slack, discord, admin_user):
    create(SLACK, admin_user)
    create(DISCORD, admin_user)
    hostile = {**DATA["feed.created"], "title": "<!channel> @everyone <@&123> <@U123>" * 200}
    emit_all(["feed.created"], admin_user, hostile)
    all_delivered(slack, 1)
    all_delivered(discord, 1)
    assert (slack.refused, [s for s, _ in discord.refused]) == ([], [429])
    slack_text = str(slack.accepted[0])
    assert "<!channel>" not in slack_text
    assert "<@U123>" not in slack_text
    assert discord.accepted[0]["allowed_mentions"] == {"parse": []}


def test_the_test_endpoint_sends_a_test_message_in_the_webhooks_format(slack, admin_user):
    webhook = create(SLACK, admin_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(admin_user.username))
    answer = client.post(f"{API}/{webhook['id']}/test").json()
    assert answer["success"] is True, answer
    assert slack.accepted[-1]["text"].startswith("Test message from")


def test_the_specifications_email_request_with_a_template_sends_mail_sendgrid_accepts(
    sendgrid, admin_user
):
    """The specification posts the raw payload to SendGrid, which refuses it; with the
    README's recipe (format template, SENDGRID_EXAMPLE) every event is an e-mail."""
    webhook = create({**EMAIL, "format": "template", "template": SENDGRID_EXAMPLE}, admin_user)
    assert webhook["format"] == "template"
    emit_all(EMAIL["events"], admin_user)
    all_delivered(sendgrid, len(EMAIL["events"]))
    assert sendgrid.refused == []
    subjects = sorted(message["subject"] for message in sendgrid.accepted)
    assert subjects[0].startswith("report.created: ")
