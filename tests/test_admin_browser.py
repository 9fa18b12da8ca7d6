"""The admin as an administrator uses it, in headless Chromium.

Screenshots of the webhook list and of a delivery are saved in ``test-output/``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.db import transaction

from fluent_webhooks import send_event
from fluent_webhooks.backlog import fan_out
from fluent_webhooks.models import Attempt, Delivery, Webhook
from fluent_webhooks.tasks import deliver_task
from tests.services import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUTPUT = Path(__file__).resolve().parent.parent / "test-output"


def messages(page) -> str:
    return page.inner_text("ul.messagelist")


def run_action(page, action: str, row_text: str) -> None:
    page.locator("#result_list tr", has_text=row_text).locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def test_administrator_manages_a_webhook_end_to_end(page, receiver):
    OUTPUT.mkdir(exist_ok=True)

    # Create a webhook with a subset of events and a custom header through the form.
    page.goto("/admin/fluent_webhooks/webhook/add/")
    page.fill("#id_name", "CRM sync")
    page.fill("#id_url", receiver.url())
    page.check("input[name=events][value='feed.created']")
    page.check("input[name=events][value='comment.created']")
    page.fill("#id_headers", '{"X-API-Key": "k-123"}')
    page.click("input[name=_save]")
    assert "was added successfully" in messages(page)
    webhook = Webhook.objects.get(name="CRM sync")
    assert webhook.events == ["feed.created", "comment.created"]
    assert webhook.headers == {"X-API-Key": "k-123"}

    # Send a test and read the result.
    run_action(page, "send_test_action", "CRM sync")
    assert re.search(r"Webhook test successful\. \(status 200, \d+ ms\)", messages(page))
    assert receiver.requests[-1].headers["X-API-Key"] == "k-123"
    page.screenshot(path=OUTPUT / "admin-webhook-list.png", full_page=True)

    # Trigger an event; the worker's code delivers it; find it in the log.
    with transaction.atomic():
        event = send_event("feed.created", {"id": 7, "title": "Hello from the browser test"})
    fanned_out = fan_out([event.pk])
    if fanned_out:  # else a Celery worker of the test session took the event's message first
        deliver_task([(webhook_id, [str(pk)]) for webhook_id, pk in fanned_out])
    wait_until(
        lambda: Delivery.objects.filter(event=event, status="succeeded").exists(),
        20,
        "the event's delivery",
    )
    delivery = Delivery.objects.get(event=event)
    page.goto("/admin/fluent_webhooks/delivery/")
    page.click(f"a[href$='/{delivery.pk}/change/']")
    assert "Hello from the browser test" in page.inner_text("#content")
    assert "Succeeded" in page.inner_text(".field-status_badge")
    page.screenshot(path=OUTPUT / "admin-delivery.png", full_page=True)

    # Redeliver it: a manual attempt with the same delivery id.
    page.goto("/admin/fluent_webhooks/delivery/")
    run_action(page, "redeliver_action", "feed.created")
    assert f"Delivery {delivery.pk} redelivered." in messages(page)
    manual = Attempt.objects.get(delivery=delivery, manual=True)
    assert manual.request_headers["X-Fluent-Delivery"] == str(delivery.pk)
    assert json.loads(receiver.requests[-1].body)["data"]["id"] == 7

    # The webhook page shows its recent attempts; then deactivate the webhook.
    page.goto(f"/admin/fluent_webhooks/webhook/{webhook.pk}/change/")
    assert "3 of 3 succeeded" in page.inner_text(".field-recent_attempts summary")
    page.click(".field-recent_attempts summary")
    assert "feed.created" in page.inner_text(".field-recent_attempts")
    page.goto("/admin/fluent_webhooks/webhook/")
    run_action(page, "deactivate", "CRM sync")
    assert "Deactivated 1 webhook(s)." in messages(page)
    assert Webhook.objects.get(pk=webhook.pk).status == "inactive"


@pytest.mark.parametrize(
    ("url", "headers", "field", "message"),
    [
        ("http://crm.example.com/hook", "{}", "url", "must use HTTPS"),
        ("https://192.168.1.10/hook", "{}", "url", "non-public address"),
        (
            "https://crm.example.com/hook",
            '{"Host": "evil"}',
            "headers",
            "set by the webhook sender",
        ),
        ("https://crm.example.com/hook", '{"X-A": "a\\r\\nB: c"}', "headers", "CR, LF or NUL"),
    ],
)
def test_invalid_form_input_shows_a_field_error(page, settings, url, headers, field, message):
    settings.FLUENT_WEBHOOKS = {}  # production rules: https only, no private addresses
    page.goto("/admin/fluent_webhooks/webhook/add/")
    page.fill("#id_name", "Bad")
    page.fill("#id_url", url)
    page.check("input[name=events][value='feed.created']")
    page.fill("#id_headers", headers)
    page.click("input[name=_save]")
    assert message in page.inner_text(f".field-{field} .errorlist")
    assert not Webhook.objects.exists()
