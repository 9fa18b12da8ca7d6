"""A webhook's run of failures, as the recording step keeps it, and what it earns: one
warning, then the switch-off with notice. Driven synchronously against real receivers on
loopback; ``test_health_worker.py`` proves the same through a real Celery worker."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.utils import timezone

from fluent_webhooks import health
from fluent_webhooks.delivery.pipeline import ClaimedBatch, claim_many, deliver_claimed, send_test
from fluent_webhooks.models import Delivery, Event, Webhook
from fluent_webhooks.signals import webhook_disabled
from tests.conftest import API
from tests.receiver import Receiver, Reply
from tests.services import free_port

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def health_settings(settings) -> dict:
    values = {
        "REQUIRE_HTTPS": False,
        "ALLOWED_NETWORKS": ["127.0.0.0/8"],
        "CONNECT_TIMEOUT": 1,
        "READ_TIMEOUT": 1,
        "ATTEMPT_DEADLINE": 2,
        "DISABLE_AFTER": 5 * DAY,
        "DISABLE_AFTER_FAILURES": 3,
        "WARN_AFTER": DAY,
        "SITE_URL": "https://community.example.com",
        "SITE_NAME": "Example Community",
    }
    settings.FLUENT_WEBHOOKS = values
    return values


@pytest.fixture
def failing(receiver) -> Receiver:
    receiver.reply = Reply(status=500, body=b"database is down")
    return receiver


def hook(url: str, **fields) -> Webhook:
    return Webhook.objects.create(name="CRM sync", url=url, events=["*"], **fields)


def attempt(webhook: Webhook, count: int = 1) -> list:
    """``count`` deliveries to ``webhook``, sent as one worker batch."""
    deliveries = [
        Delivery.objects.create(
            event=Event.objects.create(
                name="feed.created", body="{}", fanned_out_at=timezone.now()
            ),
            webhook=webhook,
        )
        for _ in range(count)
    ]
    token = uuid.uuid4()
    return deliver_claimed(ClaimedBatch(token, claim_many([d.pk for d in deliveries], token)))


def fresh(webhook: Webhook) -> Webhook:
    return Webhook.objects.get(pk=webhook.pk)


def test_failed_attempts_count_up_from_the_first_failure_and_a_success_ends_the_run(
    health_settings, failing
):
    webhook = hook(failing.url(), retry_count=0)
    attempt(webhook, count=3)  # one batch, three failed attempts
    first = fresh(webhook)
    assert first.consecutive_failures == 3
    assert first.failing_since is not None
    assert first.last_error == "HTTP 500: database is down"

    attempt(webhook)
    later = fresh(webhook)
    assert later.consecutive_failures == 4
    assert later.failing_since == first.failing_since  # the run began at the first failure

    failing.reply = Reply(status=200)
    Webhook.objects.filter(pk=webhook.pk).update(warned_at=timezone.now())
    attempt(webhook)
    healthy = fresh(webhook)
    assert (healthy.consecutive_failures, healthy.failing_since, healthy.warned_at) == (
        0,
        None,
        None,
    )
    assert healthy.last_error is None


def test_a_success_in_the_same_batch_ends_the_run(health_settings, receiver):
    answers = iter([Reply(status=500), Reply(status=200)])
    receiver.respond = lambda request: next(answers)
    webhook = hook(receiver.url(), retry_count=0, consecutive_failures=7)
    Webhook.objects.filter(pk=webhook.pk).update(failing_since=timezone.now() - 6 * DAY)
    attempt(webhook, count=2)
    assert (fresh(webhook).consecutive_failures, fresh(webhook).status) == (0, "active")


def test_test_sends_do_not_count(health_settings, failing):
    webhook = hook(failing.url())
    send_test(webhook)
    assert fresh(webhook).consecutive_failures == 0
    assert fresh(webhook).failing_since is None
    assert fresh(webhook).last_error == "HTTP 500: database is down"  # still shown


def test_a_test_send_that_succeeds_does_not_end_the_run_either(health_settings, receiver):
    webhook = hook(receiver.url(), consecutive_failures=4, failing_since=timezone.now() - DAY)
    send_test(webhook)
    assert fresh(webhook).consecutive_failures == 4


@pytest.fixture
def managers(django_user_model, admin_user, manager_user, member_user) -> set[str]:
    """Who may manage webhooks, and some who may not; returns the addresses to be told."""
    group = Group.objects.create(name="Integrations")
    group.permissions.add(Permission.objects.get(codename="manage_webhooks"))
    by_group = django_user_model.objects.create_user("grouped", "ops@example.com", "x")
    by_group.groups.add(group)
    both = django_user_model.objects.create_user("both", "Ops@Example.com", "x")  # same address
    both.groups.add(group)
    both.user_permissions.add(Permission.objects.get(codename="manage_webhooks"))
    django_user_model.objects.create_superuser("gone", "former@example.com", "x", is_active=False)
    django_user_model.objects.create_superuser("nomail", "", "x")
    return {"admin@example.com", "m@example.com", "ops@example.com"}


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_one_warning_after_warn_after_never_a_second_for_the_same_run(
    health_settings, failing, managers, django_capture_on_commit_callbacks
):
    webhook = hook(failing.url(), retry_count=0, consecutive_failures=1)
    Webhook.objects.filter(pk=webhook.pk).update(failing_since=timezone.now() - 2 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        attempt(webhook)
    warned = fresh(webhook)
    assert warned.warned_at is not None
    assert warned.status == "active"  # 2 days: warned, not disabled
    assert sorted(r.lower() for r in recipients()) == sorted(managers)
    message = mail.outbox[0]
    assert message.subject == "[Example Community] Webhook 'CRM sync' is failing"
    assert "Failed attempts in a row: 2" in message.body
    # The receiver's own text is not put before the managers (a hostile one would write
    # instructions there); the status is, and where to read the rest.
    assert "Last error: HTTP 500 (the receiver's answer is in the admin's" in message.body
    assert "database is down" not in message.body
    assert f"(id {webhook.pk}, http://127.0.0.1:{failing.port}/…)" in message.body
    assert f"https://community.example.com/admin/fluent_webhooks/webhook/{webhook.pk}/change/" in (
        message.body
    )
    assert f"127.0.0.1:{failing.port}/hook" not in message.body  # the URL's path may be a secret
    assert "disabled once it has failed for 5 days" in message.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        attempt(webhook, count=2)
    assert mail.outbox == []
    assert fresh(webhook).consecutive_failures == 4


def test_disable_takes_the_time_and_the_number_of_failures(
    health_settings, failing, managers, django_capture_on_commit_callbacks
):
    seen: list[dict] = []

    def on_disabled(sender, **kwargs):
        seen.append(kwargs)

    webhook_disabled.connect(on_disabled)
    try:
        webhook = hook(failing.url(), retry_count=0, warned_at=timezone.now())
        since = timezone.now() - 6 * DAY
        Webhook.objects.filter(pk=webhook.pk).update(failing_since=since, consecutive_failures=1)
        with django_capture_on_commit_callbacks(execute=True):
            attempt(webhook)  # 6 days, but 2 failures of the 3 required
        assert fresh(webhook).status == "active"
        assert seen == []
        assert mail.outbox == []

        with django_capture_on_commit_callbacks(execute=True):
            attempt(webhook)
    finally:
        webhook_disabled.disconnect(on_disabled)
    disabled = fresh(webhook)
    assert disabled.status == "inactive"
    assert disabled.disabled_at is not None
    assert disabled.disabled_reason == (
        f"Every delivery attempt failed for 6 days (3 attempts in a row since "
        f"{since:%Y-%m-%d %H:%M:%S} UTC)."
    )
    assert len(seen) == 1
    assert seen[0]["webhook"].pk == webhook.pk
    assert seen[0]["reason"] == disabled.disabled_reason
    assert (seen[0]["failures"], seen[0]["failing_since"]) == (3, since)
    assert seen[0]["last_error"] == "HTTP 500: database is down"
    assert sorted(r.lower() for r in recipients()) == sorted(managers)
    assert mail.outbox[0].subject == "[Example Community] Webhook 'CRM sync' was disabled"
    assert disabled.disabled_reason in mail.outbox[0].body
    assert "set the webhook's status back to active" in mail.outbox[0].body


def test_a_disabled_webhooks_owed_deliveries_are_kept(health_settings, failing):
    webhook = hook(failing.url(), retry_count=2, consecutive_failures=5)
    Webhook.objects.filter(pk=webhook.pk).update(failing_since=timezone.now() - 6 * DAY)
    (outcome,) = attempt(webhook)
    assert fresh(webhook).status == "inactive"
    delivery = Delivery.objects.get(pk=outcome.delivery_id)
    assert delivery.status == "pending"  # its retry is still owed
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert claim_many([delivery.pk]) == []  # due, and still not taken while inactive
    assert Delivery.objects.get(pk=delivery.pk).status == "pending"


def test_410_gone_disables_with_its_reason_and_notice(
    health_settings, receiver, managers, django_capture_on_commit_callbacks
):
    receiver.reply = Reply(status=410)
    webhook = hook(receiver.url())
    with django_capture_on_commit_callbacks(execute=True):
        attempt(webhook)
    gone = fresh(webhook)
    assert gone.status == "inactive"
    assert gone.disabled_reason == health.GONE_REASON
    assert gone.disabled_at is not None
    assert gone.consecutive_failures == 1
    assert len(mail.outbox) == len(managers)
    assert health.GONE_REASON in mail.outbox[0].body


def test_410_on_a_webhook_already_inactive_tells_nobody(
    health_settings, receiver, managers, django_capture_on_commit_callbacks
):
    receiver.reply = Reply(status=410)
    webhook = hook(receiver.url(), status="inactive")
    with django_capture_on_commit_callbacks(execute=True):
        send_test(webhook)  # a person checking an endpoint before turning it on
    assert fresh(webhook).disabled_at is None
    assert mail.outbox == []


class BrokenBackend:
    def __init__(self, **kwargs) -> None:
        pass

    def __enter__(self):
        raise ConnectionRefusedError("no SMTP server")

    def __exit__(self, *exc) -> None:
        pass


def test_notices_that_fail_never_undo_the_recording(
    health_settings, settings, failing, managers, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.test_health.BrokenBackend"

    def broken_receiver(sender, **kwargs):
        raise RuntimeError("receiver bug")

    webhook_disabled.connect(broken_receiver)
    try:
        webhook = hook(failing.url(), retry_count=0, consecutive_failures=5)
        Webhook.objects.filter(pk=webhook.pk).update(failing_since=timezone.now() - 6 * DAY)
        with django_capture_on_commit_callbacks(execute=True):
            (outcome,) = attempt(webhook)
    finally:
        webhook_disabled.disconnect(broken_receiver)
    assert fresh(webhook).status == "inactive"
    assert Delivery.objects.get(pk=outcome.delivery_id).status == "failed"
    assert "receiver bug" in caplog.text
    assert f"Could not send the disabled notice of webhook {webhook.pk}" in caplog.text


def test_off_when_set_to_none(
    health_settings, settings, failing, django_capture_on_commit_callbacks
):
    settings.FLUENT_WEBHOOKS = {**health_settings, "DISABLE_AFTER": None, "WARN_AFTER": None}
    webhook = hook(failing.url(), retry_count=0, consecutive_failures=50)
    Webhook.objects.filter(pk=webhook.pk).update(failing_since=timezone.now() - 60 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        attempt(webhook)
    assert (fresh(webhook).status, fresh(webhook).warned_at) == ("active", None)


def disabled_hook(url: str) -> Webhook:
    return hook(
        url,
        status="inactive",
        consecutive_failures=12,
        failing_since=timezone.now() - 6 * DAY,
        warned_at=timezone.now() - 5 * DAY,
        disabled_at=timezone.now(),
        disabled_reason="Every delivery attempt failed for 6 days.",
    )


def assert_fresh_start(webhook: Webhook) -> None:
    again = fresh(webhook)
    assert again.status == "active"
    assert (again.disabled_at, again.disabled_reason) == (None, None)
    assert (again.consecutive_failures, again.failing_since, again.warned_at) == (0, None, None)


def test_reactivating_through_the_api_clears_the_disable_and_the_run(health_settings, api):
    webhook = disabled_hook(f"http://127.0.0.1:{free_port()}/hook")
    response = api.put(f"{API}/{webhook.pk}", {"status": "active"}, format="json")
    assert response.status_code == 200, response.content
    assert_fresh_start(webhook)


def test_other_api_edits_keep_the_disable_and_the_run(health_settings, api):
    webhook = disabled_hook(f"http://127.0.0.1:{free_port()}/hook")
    response = api.put(f"{API}/{webhook.pk}", {"name": "CRM"}, format="json")
    assert response.status_code == 200, response.content
    assert fresh(webhook).disabled_reason
    assert fresh(webhook).consecutive_failures == 12


def test_reactivating_in_the_admin_clears_the_disable_and_the_run(
    health_settings, client, admin_user
):
    webhook = disabled_hook(f"http://127.0.0.1:{free_port()}/hook")
    client.force_login(admin_user)
    page = client.get(f"/admin/fluent_webhooks/webhook/{webhook.pk}/change/")
    assert "Disabled by the app on" in page.text
    assert "Every delivery attempt failed for 6 days." in page.text
    response = client.post(
        "/admin/fluent_webhooks/webhook/",
        {"action": "activate", "_selected_action": [webhook.pk]},
    )
    assert response.status_code == 302
    assert_fresh_start(webhook)
    page = client.get(f"/admin/fluent_webhooks/webhook/{webhook.pk}/change/")
    assert "Disabled by the app on" not in page.text


def test_reactivating_through_the_change_form_clears_the_disable_and_the_run(
    health_settings, client, admin_user
):
    webhook = disabled_hook(f"http://127.0.0.1:{free_port()}/hook")
    client.force_login(admin_user)
    form = {
        "name": webhook.name,
        "url": webhook.url,
        "events": ["*"],
        "headers": "{}",
        "retry_count": "3",
        "format": "",
    }
    renamed = client.post(
        f"/admin/fluent_webhooks/webhook/{webhook.pk}/change/", {**form, "status": "inactive"}
    )
    assert renamed.status_code == 302, renamed.content.decode()[:3000]
    assert fresh(webhook).disabled_reason  # saved, still inactive: still disabled
    response = client.post(
        f"/admin/fluent_webhooks/webhook/{webhook.pk}/change/", {**form, "status": "active"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert_fresh_start(webhook)


def test_managers_are_found_with_several_authentication_backends(settings, managers):
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "django.contrib.auth.backends.RemoteUserBackend",
    ]
    assert sorted(a.lower() for a in health.manager_addresses()) == sorted(managers)


def test_a_change_page_of_no_webhook_is_still_the_admins_redirect(client, admin_user):
    client.force_login(admin_user)
    for odd in ("abc", "999999"):
        response = client.get(f"/admin/fluent_webhooks/webhook/{odd}/change/")
        assert response.status_code == 302


def test_the_count_stops_at_the_columns_limit_instead_of_breaking_the_recording(
    health_settings, settings, failing
):
    settings.FLUENT_WEBHOOKS = {**health_settings, "DISABLE_AFTER": None}
    webhook = hook(failing.url(), retry_count=0, consecutive_failures=health.MAX_COUNTED - 1)
    attempt(webhook, count=3)
    assert fresh(webhook).consecutive_failures == health.MAX_COUNTED


def test_a_setting_the_worker_cannot_read_never_breaks_the_recording(
    health_settings, settings, failing
):
    settings.FLUENT_WEBHOOKS = {**health_settings, "WARN_AFTER": "a day"}  # E020 at check time
    webhook = hook(failing.url(), retry_count=0)
    (outcome,) = attempt(webhook)
    assert Delivery.objects.get(pk=outcome.delivery_id).status == "failed"
    assert fresh(webhook).consecutive_failures == 1


def test_a_name_with_line_breaks_cannot_stop_or_forge_the_notice(
    health_settings, failing, admin_user, django_capture_on_commit_callbacks
):
    webhook = hook(failing.url(), retry_count=0, consecutive_failures=5)
    Webhook.objects.filter(pk=webhook.pk).update(
        name="CRM\r\nBcc: someone@example.net", failing_since=timezone.now() - 6 * DAY
    )
    with django_capture_on_commit_callbacks(execute=True):
        attempt(webhook)
    (message,) = mail.outbox
    assert (
        message.subject == "[Example Community] Webhook 'CRM Bcc: someone@example.net' was disabled"
    )
    assert message.recipients() == ["admin@example.com"]
