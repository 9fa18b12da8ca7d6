"""A site's worth of webhooks, deliveries and inspector traffic, for the layout tests'
screenshots: every event subscribed, long URLs, failing webhooks with long errors."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from example_project.inspector.models import Inbox, ReceivedDelivery
from fluent_webhooks.events.catalog import registry
from fluent_webhooks.events.samples import SAMPLE_DATA
from fluent_webhooks.models import Attempt, Delivery, Event, Webhook

TIMEOUT_ERROR = (
    "HTTPSConnectionPool(host='ingest.analytics-warehouse.example.net', port=443): Max retries "
    "exceeded with url: /v1/collect/fluent-community/events?stream=production&batch=false "
    "(Caused by ConnectTimeoutError(<urllib3.connection.HTTPSConnection object at "
    "0x7f3b2c1d4e50>, 'Connection to ingest.analytics-warehouse.example.net timed out. "
    "(connect timeout=10)'))"
)
SERVER_ERROR = (
    "HTTP 503 Service Unavailable: upstream connect error or disconnect/reset before headers. "
    "reset reason: connection termination; the ERP bridge is in its nightly maintenance window"
)


@dataclass
class Site:
    webhooks: list[Webhook]
    deliveries: list[Delivery]
    succeeded: Delivery
    inbox: Inbox


def _webhooks() -> list[Webhook]:
    all_names = registry.names()
    now = timezone.now()
    specs = [
        (
            "Community CRM sync",
            "https://hooks.crm-integration.example.com/api/v2/incoming/webhooks/"
            "fluent-community/7f3a9c1e-2b4d-4e8f-9a6b-1c2d3e4f5a6b?source=community",
            all_names,
            "active",
            0,
            "",
        ),
        (
            "Slack #community-alerts",
            "https://hooks.slack.com/services/T04ABCD1234/B06EFGH5678/x9YzAbCdEfGhIjKlMnOpQrSt",
            ["feed.created", "comment.created", "report.created", "user.registered"],
            "active",
            0,
            "",
        ),
        (
            "Analytics warehouse",
            "https://ingest.analytics-warehouse.example.net/v1/collect/fluent-community/events"
            "?stream=production&batch=false",
            all_names,
            "active",
            37,
            TIMEOUT_ERROR,
        ),
        (
            "Legacy ERP bridge",
            "https://erp-bridge.internal-tools.example.org:8443/integrations/community/webhook",
            ["user.registered", "user.profile_updated", "course.enrolled", "course.unenrolled"],
            "active",
            4,
            SERVER_ERROR,
        ),
        (
            "Discord moderators",
            "https://discord.com/api/webhooks/1234567890123456789/AbCdEfGhIjKlMnOpQrStUvWxYz",
            ["report.created", "report.resolved"],
            "inactive",
            0,
            "",
        ),
        (
            "Zapier: new members to Mailchimp",
            "https://hooks.zapier.com/hooks/catch/1234567/abcdefg/",
            ["user.registered"],
            "active",
            0,
            "",
        ),
        ("Audit log (everything)", "https://audit.example.com/fluent", ["*"], "active", 0, ""),
    ]
    webhooks = []
    for index, (name, url, events, status, failures, error) in enumerate(specs):
        webhooks.append(
            Webhook.objects.create(
                name=name,
                url=url,
                events=list(events),
                status=status,
                last_triggered_at=now - timedelta(minutes=3 + 17 * index),
                last_error=error or None,
                consecutive_failures=failures,
                failing_since=now - timedelta(hours=failures) if failures else None,
            )
        )
    return webhooks


def _body(name: str, number: int) -> str:
    data = dict(SAMPLE_DATA.get(name, {"id": number}))
    data["id"] = number
    return json.dumps(
        {"event": name, "timestamp": "2026-11-28 14:03:12", "data": data}, ensure_ascii=False
    )


def _deliveries(webhooks: list[Webhook], count: int) -> list[Delivery]:
    now = timezone.now()
    names = registry.names()
    deliveries = []
    for number in range(count):
        webhook = webhooks[number % 4]
        name = names[number % len(names)]
        created = now - timedelta(minutes=2 * number)
        event = Event.objects.create(name=name, body=_body(name, 1000 + number), created_at=created)
        failing = webhook.consecutive_failures > 0
        status = "failed" if failing and number % 3 else "succeeded"
        if number % 11 == 5:
            status = "pending"
        tries = 4 if status == "failed" else 1 + number % 2
        delivery = Delivery.objects.create(
            event=event,
            webhook=webhook,
            status=status,
            attempt_count=tries,
            created_at=created,
            next_attempt_at=created + timedelta(minutes=30),
            completed_at=None if status == "pending" else created + timedelta(seconds=tries * 40),
            last_status_code=200 if status == "succeeded" else (503 if number % 2 else None),
            last_error="" if status == "succeeded" else webhook.last_error or "",
        )
        for attempt in range(1, tries + 1):
            ok = status == "succeeded" and attempt == tries
            Attempt.objects.create(
                delivery=delivery,
                number=attempt,
                manual=attempt == 3,
                started_at=created + timedelta(seconds=40 * (attempt - 1)),
                duration_ms=120 + 37 * attempt,
                succeeded=ok,
                status_code=200 if ok else 503,
                error="" if ok else webhook.last_error or SERVER_ERROR,
                response_excerpt='{"ok": true}'
                if ok
                else "<html><body><h1>503 Service "
                "Unavailable</h1>No server is available to handle this request.</body></html>",
                request_headers={
                    "Content-Type": "application/json",
                    "User-Agent": "FluentCommunity-Webhooks/1.0",
                    "X-Fluent-Event": name,
                    "X-Fluent-Delivery": str(delivery.pk),
                    "X-Fluent-Signature": "sha256=" + uuid.uuid4().hex + uuid.uuid4().hex,
                    "webhook-id": str(delivery.pk),
                    "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
                    "X-API-Key": "[redacted]",
                },
            )
        deliveries.append(delivery)
    return deliveries


def _inbox(webhook: Webhook, count: int) -> Inbox:
    inbox = Inbox.objects.create(webhook=webhook)
    names = registry.names()
    for number in range(count):
        name = names[number % len(names)]
        ReceivedDelivery.objects.create(
            inbox=inbox,
            event=name,
            delivery_id=str(uuid.uuid4()),
            signature_valid=number % 13 != 7,
            standard_signature_valid=number % 13 != 7,
            headers={"Content-Type": "application/json", "X-Fluent-Event": name},
            body=_body(name, 2000 + number),
        )
    return inbox


def build_site(deliveries: int = 120, received: int = 96) -> Site:
    webhooks = _webhooks()
    made = _deliveries(webhooks, deliveries)
    succeeded = next(d for d in made if d.status == "succeeded" and d.attempt_count > 1)
    return Site(webhooks, made, succeeded, _inbox(webhooks[0], received))
