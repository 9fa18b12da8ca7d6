"""Rotating a webhook's secret with overlap: API, CLI, and what receivers can verify.

Receivers verify with the ``standardwebhooks`` library from PyPI, as a Standard Webhooks
receiver would; time is moved by rewriting the stored expiry, never by sleeping.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import standardwebhooks
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from fluent_webhooks import rotation, verify, verify_standard
from fluent_webhooks.delivery.pipeline import ClaimedBatch, claim_many, deliver_claimed
from fluent_webhooks.models import Attempt, Delivery, Event, Webhook
from fluent_webhooks.rotation import MAX_GRACE_PERIOD, rotate_secret, signing_secrets
from fluent_webhooks.secret_keys import generate_secret
from tests.conftest import API
from tests.receiver import ReceivedRequest, Reply

pytestmark = pytest.mark.django_db


def rotate(api, webhook: Webhook, body=None):
    return api.post(f"{API}/{webhook.pk}/rotate-secret", body, format="json")


def expire_previous_secrets(webhook: Webhook) -> None:
    """As if the grace period were over: every stored expiry a second in the past."""
    past = (timezone.now() - timedelta(seconds=1)).isoformat()
    webhook.refresh_from_db()
    webhook.previous_secrets = [{**p, "expires_at": past} for p in webhook.previous_secrets]
    webhook.save(update_fields=["previous_secrets"])


def deliver_once(webhook: Webhook) -> Delivery:
    """One delivery to ``webhook``, claimed and sent as a worker's batch (on PostgreSQL the
    claim reads the webhook with raw SQL, so this covers decryption there too)."""
    event = Event.objects.create(
        name="feed.created", body='{"event":"feed.created"}', fanned_out_at=timezone.now()
    )
    delivery = Delivery.objects.create(event=event, webhook=webhook)
    token = uuid.uuid4()
    deliver_claimed(ClaimedBatch(token, claim_many([delivery.pk], token)))
    delivery.refresh_from_db()
    return delivery


def standard_verifies(secret: str, request: ReceivedRequest) -> bool:
    try:
        standardwebhooks.Webhook(secret).verify(request.body, request.headers)
    except standardwebhooks.WebhookVerificationError:
        return False
    return True


def test_the_api_rotates_and_shows_the_new_secret_once(api, webhook):
    old = webhook.secret
    before = timezone.now()
    response = rotate(api, webhook)
    assert response.status_code == 200
    body = response.json()
    webhook.refresh_from_db()
    assert body["secret"] == webhook.secret != old
    assert body["message"] == "Webhook secret rotated."
    [previous] = body["previous_secrets"]
    assert previous["secret"] == old[:10] + "..."  # masked: the old secret is not shown again
    expires = datetime.strptime(previous["expires_at"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert before + timedelta(hours=24) - timedelta(seconds=1) <= expires
    assert expires <= timezone.now() + timedelta(hours=24)
    assert signing_secrets(webhook) == [webhook.secret, old]
    # Afterwards, the secret is masked again.
    assert api.get(f"{API}/{webhook.pk}").json()["secret"] == webhook.secret[:10] + "..."


def test_the_rotation_answer_shows_the_webhooks_health_as_get_does(api, webhook):
    # The answer's health fields were read from a webhook without its recent attempts: a
    # success rate of null, as if it had never been sent to.
    delivery = Delivery.objects.create(
        event=Event.objects.create(name="feed.created", body="{}"), webhook=webhook
    )
    Attempt.objects.create(delivery=delivery, number=1, succeeded=True)
    Attempt.objects.create(delivery=delivery, number=2, succeeded=False)
    body = rotate(api, webhook).json()
    assert body["success_rate_24h"] == 0.5
    shown = api.get(f"{API}/{webhook.pk}").json()
    assert {key: body[key] for key in shown} == {**shown, "secret": body["secret"]}


def test_a_grace_period_of_zero_ends_every_old_secret_at_once(api, webhook):
    rotate(api, webhook)  # a first rotation, 24 h of overlap
    response = rotate(api, webhook, {"grace_period": 0})  # then the secret leaked
    webhook.refresh_from_db()
    assert response.json()["previous_secrets"] == []
    assert signing_secrets(webhook) == [webhook.secret]


def test_no_old_secret_outlives_the_newest_grace_period(webhook):
    first = webhook.secret
    rotate_secret(webhook.pk, 86400)
    second = Webhook.objects.get(pk=webhook.pk).secret
    rotated = rotate_secret(webhook.pk, 60)
    ends = [datetime.fromisoformat(p["expires_at"]) for p in rotated.previous_secrets]
    assert [p["secret"] for p in rotated.previous_secrets] == [second, first]
    assert max(ends) <= timezone.now() + timedelta(seconds=60)


def test_at_most_three_old_secrets_are_kept(webhook):
    for _ in range(5):
        rotated = rotate_secret(webhook.pk)
    assert len(rotated.previous_secrets) == 3
    assert len(signing_secrets(rotated)) == 4


@pytest.mark.parametrize(
    "body",
    [
        {"grace_period": -1},
        {"grace_period": MAX_GRACE_PERIOD + 1},
        {"grace_period": 1.5},
        {"grace_period": "3600"},
        {"grace_period": True},
        [1],
    ],
)
def test_a_bad_grace_period_is_invalid_data_and_changes_nothing(api, webhook, body):
    old = webhook.secret
    response = rotate(api, webhook, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_data"
    assert response.json()["data"]["status"] == 400
    webhook.refresh_from_db()
    assert webhook.secret == old
    assert webhook.previous_secrets == []


def test_rotation_needs_a_manager_and_an_existing_webhook(api, client, webhook):
    assert client.post(f"{API}/{webhook.pk}/rotate-secret").status_code == 401
    assert api.post(f"{API}/999999/rotate-secret").json()["code"] == "not_found"
    assert api.get(f"{API}/{webhook.pk}/rotate-secret").json()["code"] == "rest_no_route"


@pytest.mark.django_db(transaction=True)
def test_two_rotations_at_once_both_keep_what_they_replaced(
    webhook, test_database_url, monkeypatch
):
    """The row lock: neither rotation drops the secret the other one replaced. (PostgreSQL:
    ``test_database_url`` skips elsewhere; SQLite's in-memory test database refuses a second
    writer instead of queueing it.)"""
    original = webhook.secret
    # Between reading the webhook and writing it, each rotation waits for the other to have
    # read it too: without the lock both would, and one would write over the other.
    both_read = threading.Barrier(2, timeout=2)

    def generate_after_both_read() -> str:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait()
        return generate_secret()

    monkeypatch.setattr(rotation, "generate_secret", generate_after_both_read)
    results: list[Webhook] = []

    def rotate_in_thread() -> None:
        try:
            results.append(rotate_secret(webhook.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=rotate_in_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = Webhook.objects.get(pk=webhook.pk)
    assert len(results) == 2
    assert signing_secrets(final)[1:] == [results[0].secret, original]
    assert final.secret == results[1].secret


@pytest.mark.usefixtures("loopback_allowed")
def test_a_receiver_with_either_secret_verifies_during_the_grace_period_only_the_new_after(
    receiver, webhook
):
    webhook.url = receiver.url()
    webhook.save()
    old = webhook.secret
    # A receiver that was not told about the rotation: it verifies with the old secret.
    receiver.respond = lambda request: Reply(200 if standard_verifies(old, request) else 401)
    new = rotate_secret(webhook.pk).secret

    during = deliver_once(webhook)
    [request] = receiver.wait_for(1)
    assert during.status == Delivery.Status.SUCCEEDED
    assert standard_verifies(old, request)
    assert standard_verifies(new, request)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    # Our own verifiers: webhook-signature with either secret; X-Fluent-Signature has room
    # for one signature and carries the new secret's.
    assert verify_standard(request.body, request.headers, old)
    assert verify_standard(request.body, request.headers, new)
    assert verify(request.body, request.headers["X-Fluent-Signature"], new)
    assert not verify(request.body, request.headers["X-Fluent-Signature"], old)

    expire_previous_secrets(webhook)
    after = deliver_once(webhook)
    request = receiver.wait_for(2)[1]
    assert after.status != Delivery.Status.SUCCEEDED  # the old receiver is refused now
    assert after.last_status_code == 401
    assert not standard_verifies(old, request)
    assert standard_verifies(new, request)
    assert request.headers["webhook-signature"].count("v1,") == 1


def test_the_cli_rotates_with_a_grace_period_and_prints_the_secret_once(webhook):
    old = webhook.secret
    out = StringIO()
    call_command("webhooks", "rotate-secret", str(webhook.pk), "--grace-period", "60", stdout=out)
    webhook.refresh_from_db()
    lines = out.getvalue().splitlines()
    assert lines[1] == webhook.secret
    assert old not in out.getvalue()
    assert "stays valid in webhook-signature until" in lines[2]
    assert signing_secrets(webhook) == [webhook.secret, old]


def test_the_cli_refuses_a_bad_grace_period_or_webhook(webhook):
    with pytest.raises(CommandError, match="Grace period"):
        call_command("webhooks", "rotate-secret", str(webhook.pk), "--grace-period", "-5")
    with pytest.raises(CommandError, match="No webhook"):
        call_command("webhooks", "rotate-secret", "999999")


def test_a_grace_period_in_the_query_string_is_refused_not_ignored(api, webhook):
    """``?grace_period=0`` meant "end the old secret now" (after a leak); ignored, the old
    secret would have stayed valid for the 24 h default."""
    old = webhook.secret
    response = api.post(f"{API}/{webhook.pk}/rotate-secret?grace_period=0", {}, format="json")
    assert response.status_code == 400
    assert "JSON body" in response.json()["data"]["errors"]["grace_period"]
    webhook.refresh_from_db()
    assert webhook.secret == old
