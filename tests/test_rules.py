"""The webhook rules (rules.py), shared by the model, the API and the admin form."""

from __future__ import annotations

import json

import pytest

from fluent_webhooks import rules
from fluent_webhooks.models import Webhook
from tests.conftest import API

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/hook"


@pytest.mark.parametrize(
    "headers",
    [{"X-Price": "€5"}, {"X-Note": "✓"}, {"X-Lead": " starts with a space"}],
)
def test_header_values_http_cannot_send_are_refused(headers):
    """HTTP sends header values as Latin-1 and refuses a leading space: such a value would
    fail every send of the webhook."""
    with pytest.raises(rules.WebhookInvalid) as refused:
        rules.clean_webhook({"name": "n", "url": URL, "events": ["*"], "headers": headers})
    assert list(refused.value.errors) == ["headers"]


def test_latin1_header_values_are_kept():
    cleaned = rules.clean_webhook(
        {"name": "n", "url": URL, "events": ["*"], "headers": {"X-Note": "café"}}
    )
    assert cleaned["headers"] == {"X-Note": "café"}


@pytest.mark.parametrize(
    "change",
    [
        '"name": "Slack\\u0000"',
        '"name": "Slack \\ud800"',
        '"url": "https://hooks.example.com/\\ud800"',
    ],
)
def test_nul_or_lone_surrogates_are_invalid_data_not_a_server_error(api, change):
    base = {"name": "Slack", "url": URL, "events": ["feed.created"]}
    field = change.split('"')[1]
    rest = [f'"{key}": {json.dumps(value)}' for key, value in base.items() if key != field]
    response = api.post(
        API, "{" + ", ".join([change, *rest]) + "}", content_type="application/json"
    )
    assert response.status_code == 400, response.content[:200]
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"url": ""}, 400, "invalid_data"),  # missing, as the old serializer answered
        ({"url": "https://x.example.com/" + "a" * 2048}, 400, "invalid_url"),  # a URL rule
        ({"retry_count": "3"}, 201, None),  # whole numbers as DRF's IntegerField took them
        ({"retry_count": 3.0}, 201, None),
        ({"retry_count": 3.5}, 400, "invalid_data"),
        ({"name": 5}, 201, None),  # numbers as DRF's CharField took them
        ({"headers": None}, 400, "invalid_data"),
    ],
)
def test_the_api_answers_as_the_serializer_before_the_rules_did(api, change, status, code):
    body = {"name": "Slack", "url": URL, "events": ["feed.created"], **change}
    response = api.post(API, body, format="json")
    assert (response.status_code, response.json().get("code")) == (status, code)
