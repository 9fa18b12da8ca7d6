"""``manage.py webhooks``: the subcommands operators run from a shell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.utils import timezone

from fluent_webhooks.cli import subcommands
from fluent_webhooks.models import Delivery, Event, Webhook
from tests.conftest import API, use_broker
from tests.receiver import Reply

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("webhooks", *args, stdout=out)
    return out.getvalue()


def test_list_shows_each_webhook_with_its_status_and_url() -> None:
    Webhook.objects.create(name="CRM", url="https://crm.example.com/hook", events=["feed_created"])
    Webhook.objects.create(
        name="Old", url="https://old.example.com/hook", events=["feed_created"], status="inactive"
    )
    lines = run("list").splitlines()
    assert len(lines) == 2
    assert lines[0].split()[1:3] == ["active", "fluent"]
    assert "CRM  https://crm.example.com/hook" in lines[0]
    assert lines[1].split()[1] == "inactive"


def test_list_says_so_when_there_are_none() -> None:
    assert run("list").strip() == "No webhooks."


def test_an_unknown_subcommand_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(CommandError, match=r"invalid choice: 'nope'.*'list'"):
        run("nope")


def test_the_help_names_every_subcommand() -> None:
    # It listed them by hand, and had fallen behind (schema, rotate-secret, reencrypt, ...).
    from django.core.management import load_command_class

    command = load_command_class("fluent_webhooks", "webhooks")
    summary = command.create_parser("manage.py", "webhooks").description
    assert summary == f"Operate webhooks: {', '.join(subcommands())}."
    assert {"list", "schema", "rotate-secret", "reencrypt", "metrics-server"} <= set(subcommands())


def fails(*args: str) -> tuple[int, str]:
    """Run a subcommand that must fail: its exit status and what it wrote to stderr."""
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("webhooks", *args, stdout=out, stderr=err)
    return int(str(exit_.value.code)), err.getvalue()


def logged(webhook: Webhook, name: str, at: datetime, status: str = "succeeded") -> Delivery:
    event = Event.objects.create(name=name, body="{}", created_at=at)
    return Delivery.objects.create(
        event=event, webhook=webhook, status=status, created_at=at, next_attempt_at=at
    )


T0 = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)


class TestCreate:
    def test_creates_and_shows_the_secret_once(self) -> None:
        out = run(
            "create",
            "--name=CRM",
            "--url=https://crm.example.com/hook",
            "--events=feed.created, comment.created",
            "--header=X-API-Key: k",
            "--retry-count=5",
        )
        webhook = Webhook.objects.get()
        assert f"Webhook created successfully: id {webhook.pk}" in out
        assert f"Secret (shown this once): {webhook.secret}" in out
        assert webhook.events == ["feed.created", "comment.created"]
        assert (webhook.headers, webhook.retry_count) == ({"X-API-Key": "k"}, 5)

    def test_refuses_what_the_api_refuses_with_its_messages(self, api) -> None:
        bad = {"name": "x", "url": "http://crm.example.com/hook", "events": ["feed.nope"]}
        answer = api.post(API, bad, format="json").json()
        status, err = fails(
            "create", "--name=x", "--url=http://crm.example.com/hook", "--events=feed.nope"
        )
        assert status == 1
        assert err.splitlines()[0] == answer["message"]
        for field, message in answer["data"]["errors"].items():
            assert f"  {field}: {message}" in err
        assert Webhook.objects.count() == 0

    def test_invalid_data_names_each_field(self) -> None:
        status, err = fails(
            "create",
            "--name=x",
            "--url=https://crm.example.com/hook",
            "--events=feed.created",
            "--retry-count=eleven",
            "--header=no colon",
        )
        assert status == 1
        assert err.splitlines()[0] == "Invalid webhook data."
        assert "headers: Give --header as NAME:VALUE" in err
        assert not Webhook.objects.exists()


class TestLookups:
    @pytest.mark.parametrize("args", [("test", "999"), ("test", "abc"), ("deliveries", "²")])
    def test_an_unknown_webhook(self, args) -> None:
        assert fails(*args) == (1, "Webhook not found.\n")

    @pytest.mark.parametrize("delivery_id", ["nope", "00000000-0000-0000-0000-000000000000"])
    def test_an_unknown_delivery(self, delivery_id) -> None:
        assert fails("redeliver", delivery_id) == (1, "Delivery not found.\n")

    def test_replay_of_an_unknown_webhook(self) -> None:
        assert fails("replay", "999", "--since=2024-01-15 10:00:00") == (
            1,
            "Webhook not found.\n",
        )


class TestDeliveries:
    def test_newest_first_and_filtered(self, webhook) -> None:
        old = logged(webhook, "feed.created", T0)
        new = logged(webhook, "comment.created", T0 + timedelta(minutes=1), "failed")
        lines = run("deliveries", str(webhook.pk)).splitlines()
        assert [line.split()[0] for line in lines] == [str(new.pk), str(old.pk)]
        assert lines[0].split()[1:5] == ["2024-01-15", "10:01:00", "failed", "0"]
        failed = run("deliveries", str(webhook.pk), "--status", "failed").splitlines()
        assert [line.split()[0] for line in failed] == [str(new.pk)]
        assert run("deliveries", str(webhook.pk), "--event", "space.created") == "No deliveries.\n"

    def test_a_bad_status_is_an_error(self, webhook) -> None:
        with pytest.raises(CommandError, match="invalid choice: 'done'"):
            run("deliveries", str(webhook.pk), "--status", "done")

    @pytest.mark.parametrize("limit", ["0", "-1", "99999999999999999999", "1001", "2.5", "²"])
    def test_a_limit_that_is_not_a_whole_number_from_1_to_1000_is_a_usage_error(
        self, webhook, limit
    ) -> None:
        logged(webhook, "feed.created", T0)
        with pytest.raises(CommandError, match="argument --limit: give a whole number from 1"):
            run("deliveries", str(webhook.pk), f"--limit={limit}")

    def test_the_limit_bounds_the_list(self, webhook) -> None:
        for minute in range(3):
            logged(webhook, "feed.created", T0 + timedelta(minutes=minute))
        assert len(run("deliveries", str(webhook.pk), "--limit=2").splitlines()) == 2
        assert len(run("deliveries", str(webhook.pk), "--limit=1000").splitlines()) == 3

    def test_an_unknown_event_is_refused_with_the_apis_message(self, webhook, api) -> None:
        answer = api.get(f"{API}/{webhook.pk}/deliveries", {"event": "nope.x"}).json()
        status, err = fails("deliveries", str(webhook.pk), "--event", "nope.x")
        assert status == 1
        assert err.splitlines()[0] == answer["message"]
        (message,) = answer["data"]["errors"].values()
        assert f"  event: {message}" in err

    def test_events_may_be_listed_as_the_api_takes_them(self, webhook) -> None:
        logged(webhook, "feed.created", T0)
        logged(webhook, "comment.created", T0 + timedelta(minutes=1))
        logged(webhook, "space.created", T0 + timedelta(minutes=2))
        out = run("deliveries", str(webhook.pk), "--event", "feed.created, comment.created")
        assert len(out.splitlines()) == 2


class TestReplay:
    def test_queues_with_progress_and_counts(self, webhook) -> None:
        done = logged(webhook, "feed.created", T0)
        logged(webhook, "feed.created", T0 + timedelta(minutes=1), "pending")
        out = run("replay", str(webhook.pk), "--since=2024-01-15 10:00:00")
        assert "Queued 1 of 1..." in out
        assert "2 matched: 1 queued for the worker, oldest event first; 1 already queued." in out
        done.refresh_from_db()
        assert (done.status, done.manual_next_attempt) == ("pending", True)

    def test_refuses_what_the_api_refuses(self, webhook, api) -> None:
        body = {"since": "2024-01-15 10:00:00", "until": "2024-01-14 10:00:00", "events": ["x.y"]}
        answer = api.post(f"{API}/{webhook.pk}/replay", body, format="json").json()
        status, err = fails(
            "replay",
            str(webhook.pk),
            "--since=2024-01-15 10:00:00",
            "--until=2024-01-14 10:00:00",
            "--events=x.y",
        )
        assert status == 1
        assert err.splitlines()[0] == answer["message"] == "Invalid replay."
        for field, message in answer["data"]["errors"].items():
            assert f"  {field}: {message}" in err

    def test_over_replay_max_says_how_many_matched(self, webhook, settings) -> None:
        settings.FLUENT_WEBHOOKS = {**settings.FLUENT_WEBHOOKS, "REPLAY_MAX": 1}
        logged(webhook, "feed.created", T0)
        logged(webhook, "feed.created", T0 + timedelta(seconds=1))
        status, err = fails("replay", str(webhook.pk), "--since=2024-01-15 10:00:00")
        assert status == 1
        assert "body: 2 deliveries match; a replay re-sends at most 1" in err
        assert not Delivery.objects.filter(status="pending").exists()


class FakeClock:
    """Stands in for ``time`` in the replay subcommand: sleeping advances it at once, and a
    wait that never ends fails the test instead of hanging it."""

    def __init__(self, on_sleep=lambda: None) -> None:
        self.now, self.sleeps, self.on_sleep = 0.0, 0, on_sleep

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        assert self.sleeps < 1000, "--wait never stopped"
        self.now += seconds
        self.on_sleep()


class TestReplayWait:
    def test_stops_when_the_webhook_is_switched_off_midway(self, webhook, monkeypatch) -> None:
        logged(webhook, "feed.created", T0, "pending")  # owed, and no worker here sends it

        def switch_off() -> None:
            Webhook.objects.filter(pk=webhook.pk).update(status="inactive")

        clock = FakeClock(on_sleep=switch_off)
        monkeypatch.setattr("fluent_webhooks.cli.replay.time", clock)
        status, err = fails("replay", str(webhook.pk), "--since=2024-01-15", "--wait")
        assert status == 1
        assert err == (
            "The webhook is no longer active (switched off or deleted): stopped waiting "
            "with 1 still owed.\n"
        )
        assert clock.sleeps == 1

    def test_gives_up_after_the_timeout_saying_what_is_owed(self, webhook, monkeypatch) -> None:
        logged(webhook, "feed.created", T0, "pending")
        clock = FakeClock()
        monkeypatch.setattr("fluent_webhooks.cli.replay.time", clock)
        status, err = fails(
            "replay", str(webhook.pk), "--since=2024-01-15", "--wait", "--timeout=5"
        )
        assert status == 1
        assert err.startswith("Stopped waiting after 5 s with 1 still owed;")
        assert clock.now == 5.0  # slept 2 + 2 + 1: not past the timeout

    def test_the_timeout_defaults_to_ten_minutes(self, webhook, monkeypatch) -> None:
        logged(webhook, "feed.created", T0, "pending")
        clock = FakeClock()
        monkeypatch.setattr("fluent_webhooks.cli.replay.time", clock)
        assert fails("replay", str(webhook.pk), "--since=2024-01-15", "--wait")[0] == 1
        assert clock.now == 600.0

    def test_ends_with_status_0_once_none_is_owed(self, webhook, monkeypatch) -> None:
        delivery = logged(webhook, "feed.created", T0, "pending")

        def settle() -> None:
            Delivery.objects.filter(pk=delivery.pk).update(status="succeeded")

        monkeypatch.setattr("fluent_webhooks.cli.replay.time", FakeClock(on_sleep=settle))
        out = run("replay", str(webhook.pk), "--since=2024-01-15", "--wait")
        assert out.splitlines()[-2:] == [
            "1 owed, 0 succeeded, 0 failed.",
            "0 owed, 1 succeeded, 0 failed.",
        ]

    @pytest.mark.parametrize("timeout", ["0", "-1", "nan", "inf", "soon"])
    def test_a_timeout_that_is_not_a_positive_number_is_a_usage_error(self, webhook, timeout):
        with pytest.raises(CommandError, match="argument --timeout: give a number of seconds"):
            run("replay", str(webhook.pk), "--since=2024-01-15", "--wait", f"--timeout={timeout}")


class TestReplayWithTheBrokerDown:
    def test_says_so_in_one_line_and_leaves_the_deliveries_to_the_sweeper(self, webhook, caplog):
        from example_project.celery import app

        done = logged(webhook, "feed.created", T0)
        out, err = StringIO(), StringIO()
        previous = app.conf.broker_url
        use_broker(app, "redis://127.0.0.1:9/0")  # nothing listens on the discard port
        try:
            call_command(
                "webhooks", "replay", str(webhook.pk), "--since=2024-01-15", stdout=out, stderr=err
            )
        finally:
            use_broker(app, previous)
        assert err.getvalue() == (
            "The broker is unreachable (Error 111 connecting to 127.0.0.1:9. Connection refused)"
            ": the sweeper will hand the deliveries to the worker when it is back.\n"
        )
        assert "Traceback" not in caplog.text
        assert not [r for r in caplog.records if r.name == "fluent_webhooks.dispatch.broker"]
        done.refresh_from_db()
        assert (done.status, done.enqueued_at) == ("pending", None)  # owed: the sweep's


class TestSending:
    """``test`` and ``redeliver`` send now, from this process, to a real receiver."""

    def test_test_sends_a_signed_test_payload(self, loopback_allowed, receiver) -> None:
        webhook = Webhook.objects.create(name="r", url=receiver.url(), events=["feed.created"])
        assert run("test", str(webhook.pk)).startswith("Webhook test successful. (status 200,")
        (request,) = receiver.requests
        assert request.headers["X-Fluent-Event"] == "webhook.test"

    def test_a_failed_test_exits_non_zero_with_the_reason(self, loopback_allowed, receiver):
        receiver.reply = Reply(status=500, body=b"down")
        webhook = Webhook.objects.create(name="r", url=receiver.url(), events=["feed.created"])
        status, err = fails("test", str(webhook.pk))
        assert status == 1
        assert err.startswith("HTTP 500: down (status 500,")

    def test_redeliver_makes_a_manual_attempt_with_the_same_id(self, loopback_allowed, receiver):
        webhook = Webhook.objects.create(name="r", url=receiver.url(), events=["feed.created"])
        delivery = logged(webhook, "feed.created", T0, "failed")
        out = run("redeliver", str(delivery.pk))
        assert out == f"Delivery {delivery.pk} redelivered (status 200).\n"
        (request,) = receiver.requests
        assert request.headers["X-Fluent-Delivery"] == str(delivery.pk)
        delivery.refresh_from_db()
        assert delivery.status == "succeeded"
        assert delivery.attempts.get().manual

    def test_redeliver_that_fails_exits_non_zero(self, loopback_allowed, receiver):
        receiver.reply = Reply(status=503, body=b"")
        webhook = Webhook.objects.create(name="r", url=receiver.url(), events=["feed.created"])
        delivery = logged(webhook, "feed.created", T0, "failed")
        assert fails("redeliver", str(delivery.pk)) == (1, f"Delivery {delivery.pk}: HTTP 503.\n")

    def test_redeliver_of_a_delivery_being_sent_is_refused(self, webhook):
        delivery = logged(webhook, "feed.created", T0, "sending")
        Delivery.objects.filter(pk=delivery.pk).update(
            locked_until=timezone.now() + timedelta(seconds=30)
        )
        assert fails("redeliver", str(delivery.pk)) == (
            1,
            "The delivery is being sent right now; try again when it is done.\n",
        )
        assert not delivery.attempts.exists()

    def test_redeliver_to_an_inactive_webhook_is_refused_as_the_api_refuses_it(self, webhook):
        delivery = logged(webhook, "feed.created", T0, "failed")
        Webhook.objects.filter(pk=webhook.pk).update(status="inactive")
        assert fails("redeliver", str(delivery.pk)) == (
            1,
            "The webhook is inactive: activate it, then redeliver.\n",
        )
        assert not delivery.attempts.exists()


class TestEncryptionKeys:
    """Rows written under a key that is no longer configured: the key's problem, not a crash."""

    @pytest.mark.parametrize(
        "args",
        [
            ("list",),
            ("status",),
            ("test", "{pk}"),
            ("rotate-secret", "{pk}"),
            ("deliveries", "{pk}"),
            ("reencrypt",),
        ],
    )
    def test_a_wrong_key_is_a_command_error_with_its_remedy(self, webhook, settings, args):
        logged(webhook, "feed.created", T0)
        settings.FLUENT_WEBHOOKS = {
            **settings.FLUENT_WEBHOOKS,
            "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
        }
        with pytest.raises(CommandError, match=r"cannot be decrypted with any key") as raised:
            run(*(arg.format(pk=webhook.pk) for arg in args))
        assert "put back the key it was encrypted with" in str(raised.value)

    def test_no_key_at_all_is_a_command_error_saying_so(self, webhook, settings):
        settings.FLUENT_WEBHOOKS = {**settings.FLUENT_WEBHOOKS, "ENCRYPTION_KEYS": []}
        with pytest.raises(CommandError, match=r"ENCRYPTION_KEYS.. is empty"):
            run("list")


class TestSchemaOutput:
    @pytest.mark.parametrize(
        ("path", "reason"),
        [("{tmp}/no/such/dir/x.json", "No such file or directory"), ("/dev/full", "No space")],
    )
    def test_a_file_that_cannot_be_written_is_a_command_error_naming_it(
        self, tmp_path, path, reason
    ) -> None:
        path = path.format(tmp=tmp_path)
        with pytest.raises(CommandError, match=f"Cannot write {path}: {reason}"):
            run("schema", "--output", path)
