"""A webhook's format: chosen from the URL as the specification's requests create webhooks,
kept when set, and the body each format sends, signed over the exact bytes."""

from __future__ import annotations

import json

import pytest

from fluent_webhooks import verify
from fluent_webhooks.delivery.build import build_request
from fluent_webhooks.events.emit import record_event
from fluent_webhooks.models import Delivery, Webhook
from fluent_webhooks.signatures import standard
from tests.conftest import API

pytestmark = pytest.mark.django_db

# The bodies of the specification's "Common Use Cases", as written there.
SLACK = {
    "name": "Slack Notifications",
    "url": "https://hooks.slack.com/services/YOUR/WEBHOOK/URL",
    "events": ["feed.created", "comment.created", "space.member_joined"],
    "status": "active",
}
DISCORD = {
    "name": "Discord Notifications",
    "url": "https://discord.com/api/webhooks/YOUR/WEBHOOK/URL",
    "events": ["feed.created", "report.created"],
    "status": "active",
}
EMAIL = {
    "name": "Email Notifications",
    "url": "https://api.sendgrid.com/v3/mail/send",
    "events": ["report.created", "space.member_joined"],
    "headers": {"Authorization": "Bearer YOUR_SENDGRID_API_KEY"},
    "status": "active",
}
ANALYTICS = {
    "name": "Analytics Tracker",
    "url": "https://analytics.example.com/events",
    "events": ["feed.created", "comment.created", "user.registered", "course.enrolled"],
    "headers": {"X-API-Key": "your-api-key"},
    "status": "active",
}


@pytest.mark.parametrize(
    ("body", "expected"), [(SLACK, "slack"), (DISCORD, "discord"), (ANALYTICS, "fluent")]
)
def test_the_specifications_requests_get_the_format_their_receiver_accepts(api, body, expected):
    response = api.post(API, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["format"] == expected
    assert Webhook.objects.get().format == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://discordapp.com/api/webhooks/1/x",
        "https://ptb.discord.com/api/webhooks/1/x",
        "https://canary.discord.com/api/webhooks/1/x",
    ],
)
def test_every_discord_webhook_host_is_recognised(api, url):
    response = api.post(API, {**DISCORD, "url": url}, format="json")
    assert response.json()["format"] == "discord"


def test_a_chosen_format_follows_the_url_and_a_set_one_stays(api):
    chosen = api.post(API, SLACK, format="json").json()
    moved = api.put(f"{API}/{chosen['id']}", {"url": DISCORD["url"]}, format="json").json()
    assert moved["format"] == "discord"
    set_ = api.post(API, {**SLACK, "format": "fluent"}, format="json").json()
    assert set_["format"] == "fluent"
    kept = api.put(f"{API}/{set_['id']}", {"url": DISCORD["url"]}, format="json").json()
    assert kept["format"] == "fluent"


def test_an_unknown_format_is_invalid_data(api):
    response = api.post(API, {**SLACK, "format": "teams"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_data"
    assert list(response.json()["data"]["errors"]) == ["format"]


@pytest.mark.parametrize("webhook_format", ["fluent", "slack", "discord"])
def test_the_signatures_sign_the_exact_bytes_sent(admin_user, webhook_format):
    webhook = Webhook.objects.create(
        name="w", url=SLACK["url"], events=["*"], format=webhook_format, format_auto=False
    )
    event = record_event("feed.created", {"id": 1, "title": "Hello <!channel>"}, admin_user)
    delivery = Delivery.objects.select_related("event", "webhook").get(
        pk=Delivery.objects.create(event=event, webhook=webhook).pk
    )
    request = build_request(delivery)
    assert verify(request.body, request.headers["X-Fluent-Signature"], webhook.secret)
    assert standard.verify(request.body, request.headers, webhook.secret)
    message = json.loads(request.body)
    if webhook_format == "fluent":
        assert request.body == event.body.encode()
    elif webhook_format == "slack":
        assert message["text"]
        assert "<!channel>" not in request.body.decode()
    else:
        assert message["allowed_mentions"] == {"parse": []}


def test_messages_link_to_the_page_the_site_names(settings, admin_user):
    settings.FLUENT_WEBHOOKS = {
        **settings.FLUENT_WEBHOOKS,
        "SITE_NAME": "Makers",
        "SITE_URL": "https://community.example.com",
        "OBJECT_LINK": "example_project.community.links.object_link",
    }
    webhook = Webhook.objects.create(name="s", url=SLACK["url"], events=["*"], format="slack")
    event = record_event("feed.created", {"id": 5, "title": "Hi"}, admin_user)
    delivery = Delivery.objects.select_related("event", "webhook").get(
        pk=Delivery.objects.create(event=event, webhook=webhook).pk
    )
    body = build_request(delivery).body.decode()
    assert "https://community.example.com/admin/community/feed/5/change/" in body
    assert "Makers" in body


def test_a_link_callable_that_fails_costs_the_link_not_the_delivery(settings, admin_user):
    settings.FLUENT_WEBHOOKS = {**settings.FLUENT_WEBHOOKS, "OBJECT_LINK": "builtins.divmod"}
    webhook = Webhook.objects.create(name="d", url=DISCORD["url"], events=["*"], format="discord")
    event = record_event("feed.created", {"id": 5}, admin_user)
    delivery = Delivery.objects.select_related("event", "webhook").get(
        pk=Delivery.objects.create(event=event, webhook=webhook).pk
    )
    assert "url" not in json.loads(build_request(delivery).body)["embeds"][0]


def test_a_template_webhook_is_created_with_its_template(api):
    from fluent_webhooks.messages.template import SENDGRID_EXAMPLE

    body = {**EMAIL, "format": "template", "template": SENDGRID_EXAMPLE}
    created = api.post(API, body, format="json").json()
    assert (created["format"], created["template"]) == ("template", SENDGRID_EXAMPLE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "template"}, "needs a template"),
        ({"format": "template", "template": {"subject": "{{ data.title | shout }}"}}, "/subject"),
        ({"format": "template", "template": {"x": "{{ data.__class__ }}"}}, "/x"),
    ],
)
def test_a_template_that_cannot_work_is_invalid_data_saying_where(api, change, message):
    response = api.post(API, {**EMAIL, **change}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_data"
    assert message in body["data"]["errors"]["template"]
    assert not Webhook.objects.exists()


def test_a_template_renders_the_event_and_is_signed(admin_user):
    webhook = Webhook.objects.create(
        name="t",
        url=EMAIL["url"],
        events=["*"],
        format="template",
        format_auto=False,
        template={"subject": "{{ event }}: {{ data.title }}", "id": "{{ data.id }}"},
    )
    event = record_event("feed.created", {"id": 7, "title": 'Hi "there"'}, admin_user)
    delivery = Delivery.objects.select_related("event", "webhook").get(
        pk=Delivery.objects.create(event=event, webhook=webhook).pk
    )
    request = build_request(delivery)
    assert json.loads(request.body) == {"subject": 'feed.created: Hi "there"', "id": 7}
    assert verify(request.body, request.headers["X-Fluent-Signature"], webhook.secret)
