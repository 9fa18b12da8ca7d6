"""``POST .../webhooks/{id}/test`` sends a real signed payload to a real receiver."""

from __future__ import annotations

import json
import socket

import pytest

from fluent_webhooks import __version__, standard_signing, verify
from fluent_webhooks.models import Webhook
from tests.conftest import API
from tests.receiver import Reply

pytestmark = pytest.mark.django_db


def make_webhook(url: str, **fields) -> Webhook:
    return Webhook.objects.create(name="t", url=url, events=["feed.created"], **fields)


def test_success_sends_a_signed_test_payload(api, loopback_allowed, receiver, admin_user):
    webhook = make_webhook(receiver.url(), headers={"X-API-Key": "k123"})
    response = api.post(f"{API}/{webhook.pk}/test")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["status_code"] == 200
    assert body["message"] == "Webhook test successful."
    assert isinstance(body["response_time"], int)
    assert body["response_time"] >= 0

    (request,) = receiver.requests
    assert verify(request.body, request.headers["X-Fluent-Signature"], webhook.secret)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == f"fluent-webhooks/{__version__}"
    assert request.headers["X-API-Key"] == "k123"
    assert request.headers["X-Fluent-Event"] == "webhook.test"
    assert request.headers["X-Fluent-Delivery"]
    assert request.headers["webhook-id"] == request.headers["X-Fluent-Delivery"]
    assert standard_signing.verify(request.body, request.headers, webhook.secret)
    payload = json.loads(request.body)
    assert list(payload) == ["event", "timestamp", "data", "xprofile"]
    assert payload["event"] == "webhook.test"
    assert payload["timestamp"].endswith("Z")
    assert payload["xprofile"]["user_id"] == admin_user.pk
    assert payload["xprofile"]["username"] == "admin"

    webhook.refresh_from_db()
    assert webhook.last_triggered_at is not None
    assert webhook.last_error is None


def test_failing_receiver_is_reported_and_recorded(api, loopback_allowed, receiver):
    receiver.reply = Reply(status=500, body=b"database on fire")
    webhook = make_webhook(receiver.url())
    body = api.post(f"{API}/{webhook.pk}/test").json()
    assert body["success"] is False
    assert body["status_code"] == 500
    assert "500" in body["message"]
    assert "database on fire" in body["message"]
    webhook.refresh_from_db()
    assert webhook.last_error == body["message"]
    assert webhook.last_triggered_at is None


def test_a_later_success_clears_last_error(api, loopback_allowed, receiver):
    webhook = make_webhook(receiver.url(), last_error="HTTP 500.")
    assert api.post(f"{API}/{webhook.pk}/test").json()["success"] is True
    webhook.refresh_from_db()
    assert webhook.last_error is None


def test_refused_connection(api, loopback_allowed):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webhook = make_webhook(f"http://127.0.0.1:{port}/hook")
    body = api.post(f"{API}/{webhook.pk}/test").json()
    assert body["success"] is False
    assert body["status_code"] is None
    assert "Connection failed" in body["message"]
    webhook.refresh_from_db()
    assert webhook.last_error == body["message"]


def test_redirect_is_not_followed(api, loopback_allowed, receiver):
    receiver.reply = Reply(status=302, headers={"Location": "http://169.254.169.254/"})
    webhook = make_webhook(receiver.url())
    body = api.post(f"{API}/{webhook.pk}/test").json()
    assert body["success"] is False
    assert body["status_code"] == 302
    assert "redirects are not followed" in body["message"]
    assert len(receiver.requests) == 1


def test_https_receiver_trusted_through_ca_bundle(api, settings, https_receiver, ca_bundle):
    settings.FLUENT_WEBHOOKS = {"ALLOWED_NETWORKS": ["127.0.0.0/8"], "CA_BUNDLE": str(ca_bundle)}
    webhook = make_webhook(https_receiver.url(host="localhost"))
    body = api.post(f"{API}/{webhook.pk}/test").json()
    assert body["success"] is True, body
    assert len(https_receiver.requests) == 1


def test_https_receiver_with_untrusted_certificate_fails(api, settings, https_receiver):
    settings.FLUENT_WEBHOOKS = {"ALLOWED_NETWORKS": ["127.0.0.0/8"]}
    webhook = make_webhook(https_receiver.url(host="localhost"))
    body = api.post(f"{API}/{webhook.pk}/test").json()
    assert body["success"] is False
    assert body["message"].startswith("TLS error")
    assert https_receiver.requests == []


def test_destination_no_longer_allowed_is_blocked_before_sending(api, settings, receiver):
    settings.FLUENT_WEBHOOKS = {"REQUIRE_HTTPS": False, "ALLOWED_NETWORKS": ["127.0.0.0/8"]}
    webhook = make_webhook(receiver.url(host="localhost"))
    settings.FLUENT_WEBHOOKS = {"REQUIRE_HTTPS": False}
    body = api.post(f"{API}/{webhook.pk}/test").json()
    assert body["success"] is False
    assert body["message"].startswith(
        "Blocked: localhost resolves to a non-public address, outside "
        "FLUENT_WEBHOOKS['ALLOWED_NETWORKS']."
    )
    assert receiver.requests == []


def test_test_sends_are_rate_limited_per_user(api, settings, receiver):
    settings.FLUENT_WEBHOOKS = {
        "REQUIRE_HTTPS": False,
        "ALLOWED_NETWORKS": ["127.0.0.0/8"],
        "TEST_SEND_RATE": "2/min",
    }
    webhook = make_webhook(receiver.url())
    assert [api.post(f"{API}/{webhook.pk}/test").status_code for _ in range(2)] == [200, 200]
    refused = api.post(f"{API}/{webhook.pk}/test")
    body = refused.json()
    assert refused.status_code == 429
    assert body["code"] == "rate_limit_exceeded"
    assert body["data"]["status"] == 429
    assert 0 < body["data"]["retry_after"] <= 60
    assert refused["Retry-After"] == str(body["data"]["retry_after"])
    assert len(receiver.requests) == 2  # the refused one sent nothing


def test_a_test_send_answered_410_reports_it_and_leaves_the_webhook_active(
    api, loopback_allowed, receiver, mailoutbox
):
    """Test sends do not count towards a webhook's health: a receiver still being set up may
    answer anything, and a 410 to a test must not switch the webhook off or e-mail anyone."""
    receiver.reply = Reply(status=410, body=b"gone")
    webhook = make_webhook(receiver.url())
    body = api.post(f"{API}/{webhook.pk}/test").json()
    assert body["success"] is False
    assert body["status_code"] == 410
    webhook.refresh_from_db()
    assert (webhook.status, webhook.disabled_reason) == ("active", None)
    assert mailoutbox == []
