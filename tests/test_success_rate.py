"""A webhook's success rate: its attempts of the last 24 h, as the API, admin and CLI show it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fluent_webhooks.models import Attempt, Delivery, Event, Webhook
from fluent_webhooks.querysets import success_rate

pytestmark = pytest.mark.django_db


def attempt(webhook: Webhook, *, hours_ago: float, succeeded: bool) -> None:
    event = Event.objects.create(name="feed_created", body="{}", fanned_out_at=timezone.now())
    delivery = Delivery.objects.create(event=event, webhook=webhook)
    Attempt.objects.create(
        delivery=delivery,
        number=1,
        started_at=timezone.now() - timedelta(hours=hours_ago),
        succeeded=succeeded,
    )


def test_counts_only_the_last_24_hours() -> None:
    webhook = Webhook.objects.create(name="CRM", url="https://crm.example.com/", events=["*"])
    attempt(webhook, hours_ago=1, succeeded=True)
    attempt(webhook, hours_ago=2, succeeded=True)
    attempt(webhook, hours_ago=3, succeeded=False)
    attempt(webhook, hours_ago=25, succeeded=False)  # outside the window

    annotated = Webhook.objects.with_recent_attempts().get()

    assert annotated.attempts_24h == 3
    assert success_rate(annotated) == pytest.approx(2 / 3)


def test_is_none_without_attempts_rather_than_zero_or_full() -> None:
    Webhook.objects.create(name="New", url="https://new.example.com/", events=["*"])
    assert success_rate(Webhook.objects.with_recent_attempts().get()) is None
