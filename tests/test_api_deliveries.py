"""The delivery log through the API: list, one delivery, redeliver, replay, the event catalog."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fluent_webhooks.events.catalog import registry
from fluent_webhooks.models import Attempt, Delivery, Event, Webhook
from tests.conftest import API, basic_auth
from tests.test_api import assert_error, curl

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)


def logged(webhook: Webhook, name: str, at: datetime, status: str = "succeeded", **fields):
    """A delivery of an event that happened at ``at``, as the log holds it."""
    event = Event.objects.create(name=name, body=json.dumps({"event": name}), created_at=at)
    return Delivery.objects.create(
        event=event, webhook=webhook, status=status, created_at=at, next_attempt_at=at, **fields
    )


def get(path: str) -> tuple[int, dict, dict]:
    response = Client().get(path, HTTP_AUTHORIZATION=basic_auth("admin"))
    return response.status_code, response.json(), response.headers


@pytest.fixture
def log(admin_user, webhook) -> list[Delivery]:
    """Five deliveries a minute apart, oldest first: succeeded, failed, pending, ..."""
    statuses = ["succeeded", "failed", "pending", "succeeded", "failed"]
    return [
        logged(
            webhook, "feed.created" if i % 2 else "comment.created", T0 + timedelta(minutes=i), s
        )
        for i, s in enumerate(statuses)
    ]


class TestList:
    def test_newest_first_with_every_field(self, log, webhook):
        failed = log[4]
        failed.attempt_count, failed.last_status_code, failed.last_error = 4, 500, "HTTP 500."
        failed.save()
        Attempt.objects.create(delivery=failed, number=4, started_at=T0 + timedelta(hours=1))
        status, body, headers = get(f"{API}/{webhook.pk}/deliveries")
        assert status == 200
        assert [d["id"] for d in body["deliveries"]] == [str(d.pk) for d in reversed(log)]
        assert body["deliveries"][0] == {
            "id": str(failed.pk),
            "webhook_id": webhook.pk,
            "event": "comment.created",
            "status": "failed",
            "attempt_count": 4,
            "last_status_code": 500,
            "last_error": "HTTP 500.",
            "created_at": "2024-01-15 10:04:00",
            "last_attempt_at": "2024-01-15 11:00:00",
            "next_attempt_at": None,
        }
        pending = body["deliveries"][2]
        assert pending["next_attempt_at"] == "2024-01-15 10:02:00"
        assert pending["last_attempt_at"] is None
        assert pending["last_error"] is None
        assert (headers["X-WP-Total"], headers["X-WP-TotalPages"]) == ("5", "1")

    def test_pages(self, log, webhook):
        status, body, headers = get(f"{API}/{webhook.pk}/deliveries?per_page=2&page=3")
        assert status == 200
        assert [d["id"] for d in body["deliveries"]] == [str(log[0].pk)]
        assert (headers["X-WP-Total"], headers["X-WP-TotalPages"]) == ("5", "3")

    def test_a_page_past_the_last_is_refused_as_wordpress_does(self, log, webhook):
        response = Client().get(
            f"{API}/{webhook.pk}/deliveries?per_page=2&page=4",
            HTTP_AUTHORIZATION=basic_auth("admin"),
        )
        assert_error(response, 400, "rest_post_invalid_page_number")

    def test_an_empty_log_has_one_empty_page(self, admin_user, webhook):
        status, body, headers = get(f"{API}/{webhook.pk}/deliveries")
        assert (status, body) == (200, {"deliveries": []})
        assert (headers["X-WP-Total"], headers["X-WP-TotalPages"]) == ("0", "0")

    def test_filters(self, log, webhook):
        def ids(query: str) -> list[str]:
            status, body, _ = get(f"{API}/{webhook.pk}/deliveries?{query}")
            assert status == 200, body
            return [d["id"] for d in body["deliveries"]]

        assert ids("status=failed") == [str(log[4].pk), str(log[1].pk)]
        assert ids("status=failed,pending") == [str(d.pk) for d in (log[4], log[2], log[1])]
        assert ids("event=feed.created") == [str(log[3].pk), str(log[1].pk)]
        assert ids("since=2024-01-15 10:03:00") == [str(log[4].pk), str(log[3].pk)]
        assert ids("until=2024-01-15T10:01:00Z") == [str(log[1].pk), str(log[0].pk)]
        assert ids("since=2024-01-15T11:01:00%2B01:00&until=2024-01-15 10:01:00") == [
            str(log[1].pk)
        ]

    def test_another_webhooks_deliveries_are_not_listed(self, log, webhook):
        other = Webhook.objects.create(name="o", url="https://o.example.com/", events=["*"])
        logged(other, "feed.created", T0)
        _status, body, _ = get(f"{API}/{webhook.pk}/deliveries")
        assert len(body["deliveries"]) == 5
        assert get(f"{API}/{other.pk}/deliveries")[2]["X-WP-Total"] == "1"

    @pytest.mark.parametrize(
        ("query", "param"),
        [
            ("page=0", "page"),
            ("page=-1", "page"),
            ("page=a", "page"),
            ("page=%C2%B2", "page"),
            ("page=" + "9" * 400, "page"),
            ("per_page=101", "per_page"),
            ("per_page=0", "per_page"),
            ("status=done", "status"),
            ("event=feed.nope", "event"),
            ("since=yesterday", "since"),
            ("until=2024-02-30 10:00:00", "until"),
            # Valid ISO 8601, but before year 1 or after 9999 once in UTC (was a server error).
            ("since=0001-01-01T00:00:00%2B05:00", "since"),
            ("until=9999-12-31T23:59:59-05:00", "until"),
        ],
    )
    def test_bad_parameters_are_invalid_data_naming_them(self, log, webhook, query, param):
        response = Client().get(
            f"{API}/{webhook.pk}/deliveries?{query}", HTTP_AUTHORIZATION=basic_auth("admin")
        )
        body = assert_error(response, 400, "invalid_data")
        assert list(body["data"]["errors"]) == [param]
        assert param in body["message"]

    def test_unknown_webhook(self, admin_user):
        assert_error(curl("GET", f"{API}/999/deliveries"), 404, "not_found", "Webhook not found.")

    def test_needs_the_manage_permission(self, member_user, webhook):
        assert_error(
            curl("GET", f"{API}/{webhook.pk}/deliveries", user="member"), 403, "rest_forbidden"
        )

    def test_anonymous_is_told_to_log_in(self, webhook):
        response = Client().get(f"{API}/{webhook.pk}/deliveries")
        assert_error(response, 401, "rest_not_logged_in")


class TestDetail:
    def test_payload_and_every_attempt(self, log, webhook):
        delivery = log[1]
        delivery.event.body = '{"event":"feed.created","data":{"n":1.0}}'
        delivery.event.save()
        first = Attempt.objects.create(
            delivery=delivery,
            number=1,
            started_at=T0,
            duration_ms=12,
            status_code=500,
            error="HTTP 500: oops",
            response_excerpt="oops",
            request_headers={"X-Fluent-Signature": "[redacted]", "X-Fluent-Event": "feed.created"},
        )
        Attempt.objects.create(
            delivery=delivery,
            number=2,
            manual=True,
            started_at=T0 + timedelta(seconds=10),
            error="Connection refused",
        )
        status, body = curl("GET", f"{API}/{webhook.pk}/deliveries/{delivery.pk}")
        assert status == 200
        assert body["id"] == str(delivery.pk)
        assert body["payload"] == '{"event":"feed.created","data":{"n":1.0}}'  # the exact bytes
        assert body["last_attempt_at"] == "2024-01-15 10:00:10"
        assert body["attempts"] == [
            {
                "number": 1,
                "manual": False,
                "started_at": "2024-01-15 10:00:00",
                "duration_ms": 12,
                "succeeded": False,
                "status_code": 500,
                "error": "HTTP 500: oops",
                "response_excerpt": "oops",
                "request_headers": first.request_headers,
            },
            {
                "number": 2,
                "manual": True,
                "started_at": "2024-01-15 10:00:10",
                "duration_ms": 0,
                "succeeded": False,
                "status_code": None,
                "error": "Connection refused",
                "response_excerpt": "",
                "request_headers": {},
            },
        ]

    @pytest.mark.parametrize(
        "spelling",
        [
            lambda pk: "not-a-uuid",
            lambda pk: f"{{{pk}}}",
            lambda pk: pk.hex,
            lambda pk: f"urn:uuid:{pk}",
            lambda pk: f"{pk}0",
            lambda pk: str(uuid.uuid4()),
        ],
    )
    def test_malformed_or_unknown_ids_are_not_found(self, log, webhook, spelling):
        path = f"{API}/{webhook.pk}/deliveries/{spelling(log[0].pk)}"
        for method, suffix in (("GET", ""), ("POST", "/redeliver")):
            assert_error(curl(method, path + suffix), 404, "not_found", "Delivery not found.")

    def test_upper_case_is_the_same_id(self, log, webhook):
        path = f"{API}/{webhook.pk}/deliveries/{str(log[0].pk).upper()}"
        assert curl("GET", path)[1]["id"] == str(log[0].pk)

    def test_another_webhooks_delivery_is_not_found(self, log, webhook):
        other = Webhook.objects.create(name="o", url="https://o.example.com/", events=["*"])
        for method, suffix in (("GET", ""), ("POST", "/redeliver")):
            path = f"{API}/{other.pk}/deliveries/{log[0].pk}{suffix}"
            assert_error(curl(method, path), 404, "not_found", "Delivery not found.")


class TestRedeliver:
    def test_is_handed_to_the_worker_and_says_where_to_look(self, log, webhook, monkeypatch):
        handed: list[list[uuid.UUID]] = []
        monkeypatch.setattr(
            "fluent_webhooks.api.deliveries.hand_out_redeliveries",
            lambda ids: handed.append(ids) or True,
        )
        status, body = curl("POST", f"{API}/{webhook.pk}/deliveries/{log[1].pk}/redeliver")
        assert status == 202
        assert handed == [[log[1].pk]]
        assert body["delivery"] == f"http://testserver{API}/{webhook.pk}/deliveries/{log[1].pk}"
        assert body["id"] == str(log[1].pk)

    def test_a_delivery_being_sent_is_refused(self, log, webhook):
        Delivery.objects.filter(pk=log[2].pk).update(
            status="sending", locked_until=timezone.now() + timedelta(seconds=30)
        )
        path = f"{API}/{webhook.pk}/deliveries/{log[2].pk}/redeliver"
        assert_error(curl("POST", path), 409, "delivery_in_progress")

    def test_an_inactive_webhook_is_refused_as_for_a_replay(self, log, webhook, monkeypatch):
        handed: list = []
        monkeypatch.setattr("fluent_webhooks.api.deliveries.hand_out_redeliveries", handed.append)
        Webhook.objects.filter(pk=webhook.pk).update(status="inactive")
        path = f"{API}/{webhook.pk}/deliveries/{log[1].pk}/redeliver"
        assert_error(curl("POST", path), 409, "webhook_inactive")
        assert handed == []

    def test_a_broker_that_is_down_is_said(self, log, webhook, monkeypatch):
        monkeypatch.setattr(
            "fluent_webhooks.api.deliveries.hand_out_redeliveries", lambda ids: False
        )
        path = f"{API}/{webhook.pk}/deliveries/{log[1].pk}/redeliver"
        assert_error(curl("POST", path), 503, "broker_unavailable")

    def test_is_throttled_like_test_sends(self, log, webhook, settings):
        settings.FLUENT_WEBHOOKS = {**settings.FLUENT_WEBHOOKS, "TEST_SEND_RATE": "2/min"}
        path = f"{API}/{webhook.pk}/deliveries/{log[1].pk}/redeliver"
        assert curl("POST", path)[0] == 202
        assert curl("POST", path)[0] == 202
        body = assert_error(curl("POST", path), 429, "rate_limit_exceeded")
        assert body["data"]["retry_after"] > 0

    def test_get_is_not_a_method_of_it(self, log, webhook):
        path = f"{API}/{webhook.pk}/deliveries/{log[1].pk}/redeliver"
        assert_error(curl("GET", path), 405, "rest_no_route")


class TestReplay:
    WINDOW = {"since": "2024-01-15 10:00:00", "until": "2024-01-15 10:03:00"}

    def test_reopens_finished_deliveries_oldest_first(self, log, webhook, monkeypatch):
        handed = []
        monkeypatch.setattr(
            "fluent_webhooks.dispatch.replay.hand_out", lambda refs: handed.extend(refs) or refs
        )
        status, body = curl("POST", f"{API}/{webhook.pk}/replay", self.WINDOW)
        assert status == 202, body
        # 10:00-10:03: four deliveries; the pending one was already owed.
        assert (body["matched"], body["queued"], body["already_queued"]) == (4, 3, 1)
        assert body["deliveries"] == f"http://testserver{API}/{webhook.pk}/deliveries"
        assert handed == [(webhook.pk, d.pk) for d in (log[0], log[1], log[3])]
        for delivery in (log[0], log[1], log[3]):
            delivery.refresh_from_db()
            assert delivery.status == "pending"
            assert delivery.manual_next_attempt
            assert delivery.next_attempt_at == delivery.event.created_at  # due, in event order
        log[4].refresh_from_db()
        assert log[4].status == "failed"  # outside the window

    def test_a_second_identical_replay_queues_nothing_more(self, log, webhook):
        first = curl("POST", f"{API}/{webhook.pk}/replay", self.WINDOW)[1]
        second = curl("POST", f"{API}/{webhook.pk}/replay", self.WINDOW)[1]
        assert (first["queued"], second["queued"]) == (3, 0)
        assert (second["matched"], second["already_queued"]) == (4, 4)

    def test_only_failed_and_events(self, log, webhook):
        body = {"since": "2024-01-15 00:00:00", "only_failed": True, "events": ["comment.created"]}
        status, answer = curl("POST", f"{API}/{webhook.pk}/replay", body)
        assert status == 202, answer
        # comment.created at 10:00 (succeeded), 10:02 (pending), 10:04 (failed)
        assert (answer["matched"], answer["queued"]) == (2, 1)
        assert Delivery.objects.get(pk=log[4].pk).status == "pending"
        assert Delivery.objects.get(pk=log[0].pk).status == "succeeded"

    def test_test_sends_are_never_replayed(self, admin_user, webhook):
        logged(webhook, "webhook.test", T0)
        body = curl("POST", f"{API}/{webhook.pk}/replay", {"since": "2024-01-01 00:00:00"})[1]
        assert body["matched"] == 0

    def test_over_replay_max_is_refused_with_the_count_and_nothing_changes(
        self, log, webhook, settings
    ):
        settings.FLUENT_WEBHOOKS = {**settings.FLUENT_WEBHOOKS, "REPLAY_MAX": 3}
        body = assert_error(
            curl("POST", f"{API}/{webhook.pk}/replay", self.WINDOW), 400, "invalid_data"
        )
        assert body["data"]["errors"]["body"].startswith("4 deliveries match;")
        assert "REPLAY_MAX" in body["data"]["errors"]["body"]
        assert Delivery.objects.filter(status="pending").count() == 1

    def test_an_inactive_webhook_is_refused(self, log, webhook):
        Webhook.objects.filter(pk=webhook.pk).update(status="inactive")
        body = assert_error(
            curl("POST", f"{API}/{webhook.pk}/replay", self.WINDOW), 400, "invalid_data"
        )
        assert list(body["data"]["errors"]) == ["status"]

    @pytest.mark.parametrize(
        ("body", "fields"),
        [
            ({}, ["since"]),
            ({"since": "yesterday"}, ["since"]),
            ({"since": 1705312800}, ["since"]),
            ({"since": "2024-01-15 10:00:00", "until": "soon"}, ["until"]),
            ({"since": "2024-01-15 10:00:00", "until": "2024-01-15 09:00:00"}, ["until"]),
            ({"since": "2024-01-15 10:00:00", "events": "feed.created"}, ["events"]),
            ({"since": "2024-01-15 10:00:00", "events": ["feed.nope"]}, ["events"]),
            ({"since": "2024-01-15 10:00:00", "events": [1]}, ["events"]),
            # An empty filter means "none": it must not replay every event.
            ({"since": "2024-01-15 10:00:00", "events": []}, ["events"]),
            ({"since": "2024-01-15 10:00:00", "only_failed": "yes"}, ["only_failed"]),
            ({"since": "x", "only_failed": 1}, ["since", "only_failed"]),
            ({"since": "0001-01-01T00:00:00+05:00"}, ["since"]),
            ({"since": "2024-01-15 10:00:00", "until": "9999-12-31T23:59:59-05:00"}, ["until"]),
        ],
    )
    def test_bad_bodies_are_invalid_data_and_change_nothing(self, log, webhook, body, fields):
        answer = assert_error(curl("POST", f"{API}/{webhook.pk}/replay", body), 400, "invalid_data")
        assert sorted(answer["data"]["errors"]) == sorted(fields)
        assert Delivery.objects.filter(status="pending").count() == 1

    def test_a_body_that_is_not_an_object(self, log, webhook):
        answer = assert_error(curl("POST", f"{API}/{webhook.pk}/replay", [1]), 400, "invalid_data")
        assert list(answer["data"]["errors"]) == ["body"]

    def test_unknown_webhook(self, admin_user):
        assert_error(curl("POST", f"{API}/999/replay", self.WINDOW), 404, "not_found")

    def test_needs_the_manage_permission(self, member_user, webhook):
        path = f"{API}/{webhook.pk}/replay"
        assert_error(curl("POST", path, self.WINDOW, user="member"), 403, "rest_forbidden")


class TestEventCatalog:
    def test_every_event_with_group_description_and_a_sample_payload(self, admin_user):
        status, body = curl("GET", f"{API}/events")
        assert status == 200
        assert [e["name"] for e in body["events"]] == registry.names()
        feed = body["events"][0]
        assert (feed["name"], feed["group"], feed["description"]) == (
            "feed.created",
            "feed",
            "A new feed post is created",
        )
        payload = feed["sample_payload"]
        assert set(payload) == {"event", "timestamp", "data", "xprofile"}
        assert payload["event"] == "feed.created"
        assert payload["data"] == registry.sample("feed.created")
        assert payload["xprofile"]["username"] == "admin"

    def test_includes_events_a_site_registered(self, admin_user):
        registry.register("badge.awarded", "user", "A user is awarded a badge", {"badge": "gold"})
        try:
            events = curl("GET", f"{API}/events")[1]["events"]
        finally:
            registry.reset()
        (badge,) = [e for e in events if e["name"] == "badge.awarded"]
        assert badge["group"] == "user"
        assert badge["sample_payload"]["data"] == {"badge": "gold"}

    def test_is_not_taken_for_a_webhook_id(self, admin_user):
        assert curl("GET", f"{API}/events/")[0] == 200
        assert_error(curl("DELETE", f"{API}/events"), 405, "rest_no_route")

    def test_needs_the_manage_permission(self, member_user):
        assert_error(curl("GET", f"{API}/events", user="member"), 403, "rest_forbidden")
