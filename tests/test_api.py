"""The documented Webhooks endpoints, requested as the spec's curl examples request them."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from fluent_webhooks.models import Attempt, Delivery, Event, Webhook
from tests.conftest import API, basic_auth

pytestmark = pytest.mark.django_db

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
FIELDS = {
    "id",
    "name",
    "url",
    "events",
    "status",
    "secret",
    "headers",
    "retry_count",
    "last_triggered_at",
    "last_error",
    "created_at",
    "updated_at",
    "format",  # beyond the documented object: what the receiver gets (Slack, Discord, ...)
    "template",  # ... and the template of the template format
    # ... and its health, read-only:
    "success_rate_24h",
    "consecutive_failures",
    "failing_since",
    "disabled_reason",
}
SLACK = {
    "name": "Slack Notifications",
    "url": "https://hooks.slack.com/services/YOUR/WEBHOOK/URL",
    "events": ["feed.created", "comment.created", "space.member_joined"],
    "status": "active",
    "retry_count": 3,
}


def curl(method: str, path: str, body: object = None, user: str = "admin") -> tuple[int, dict]:
    """Send a request the way ``curl -u user:password -H 'Content-Type: application/json'`` does."""
    kwargs = {"HTTP_AUTHORIZATION": basic_auth(user)}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    response = getattr(Client(), method.lower())(path, **kwargs)
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def assert_error(response_or_pair, status: int, code: str, message: str | None = None) -> dict:
    status_code, body = (
        response_or_pair
        if isinstance(response_or_pair, tuple)
        else (response_or_pair.status_code, response_or_pair.json())
    )
    assert status_code == status, body
    assert body["code"] == code
    assert body["data"]["status"] == status
    if message is not None:
        assert body["message"] == message
    return body


class TestList:
    def test_lists_every_documented_field_with_the_secret_masked(self, admin_user, webhook):
        status, body = curl("GET", API)
        assert status == 200
        assert list(body) == ["webhooks"]
        (item,) = body["webhooks"]
        assert set(item) == FIELDS
        assert item["id"] == webhook.pk
        assert item["events"] == ["feed.created", "comment.created"]
        assert item["secret"] == webhook.secret[:10] + "..."
        assert item["last_triggered_at"] is None
        assert item["last_error"] is None
        assert DATETIME.match(item["created_at"])
        assert DATETIME.match(item["updated_at"])

    def test_empty_list(self, admin_user):
        assert curl("GET", API) == (200, {"webhooks": []})

    def test_health_fields_show_the_last_24_hours_and_the_failure_run(self, admin_user, webhook):
        delivery = Delivery.objects.create(
            event=Event.objects.create(name="feed.created", body="{}"), webhook=webhook
        )
        long_ago = timezone.now() - timedelta(hours=25)
        for number, succeeded in enumerate([True, True, True, False], start=1):
            Attempt.objects.create(delivery=delivery, number=number, succeeded=succeeded)
        Attempt.objects.create(delivery=delivery, number=5, started_at=long_ago)  # not counted
        since = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
        Webhook.objects.filter(pk=webhook.pk).update(
            consecutive_failures=1, failing_since=since, disabled_reason="Failing for 3 days."
        )
        (listed,) = curl("GET", API)[1]["webhooks"]
        one = curl("GET", f"{API}/{webhook.pk}")[1]
        for item in (listed, one):
            assert item["success_rate_24h"] == 0.75
            assert item["consecutive_failures"] == 1
            assert item["failing_since"] == "2024-01-15 10:30:00"
            assert item["disabled_reason"] == "Failing for 3 days."

    def test_a_webhook_without_recent_attempts_has_no_success_rate(self, admin_user, webhook):
        (item,) = curl("GET", API)[1]["webhooks"]
        assert item["success_rate_24h"] is None
        assert (item["consecutive_failures"], item["failing_since"]) == (0, None)
        assert item["disabled_reason"] is None


class TestCreate:
    def test_creates_as_documented(self, admin_user):
        status, body = curl("POST", API, SLACK)
        assert status == 201
        assert body["message"] == "Webhook created successfully."
        assert set(body) >= FIELDS
        stored = Webhook.objects.get(pk=body["id"])
        assert body["secret"] == stored.secret  # shown whole this once
        assert stored.secret.startswith("whsec_")
        assert len(base64.b64decode(stored.secret.removeprefix("whsec_"))) >= 24
        assert (stored.name, stored.url, stored.events) == (
            SLACK["name"],
            SLACK["url"],
            SLACK["events"],
        )
        assert DATETIME.match(body["created_at"])

    def test_defaults_status_and_retry_count(self, admin_user):
        minimal = {"name": "n", "url": "https://example.com/hook", "events": ["feed.created"]}
        status, body = curl("POST", API, minimal)
        assert status == 201
        assert (body["status"], body["retry_count"], body["headers"]) == ("active", 3, {})

    def test_keeps_a_secret_given_at_creation(self, admin_user):
        status, body = curl("POST", API, {**SLACK, "secret": "my-own-secret-0123456789"})
        assert status == 201
        assert Webhook.objects.get(pk=body["id"]).secret == "my-own-secret-0123456789"

    def test_generated_secrets_differ(self, admin_user):
        first = curl("POST", API, SLACK)[1]["secret"]
        second = curl("POST", API, SLACK)[1]["secret"]
        assert first != second

    def test_wildcard_and_custom_headers(self, admin_user):
        status, body = curl("POST", API, {**SLACK, "events": ["*"], "headers": {"X-API-Key": "k"}})
        assert status == 201
        assert body["events"] == ["*"]
        assert body["headers"] == {"X-API-Key": "k"}

    def test_ignores_read_only_fields(self, admin_user):
        forged = {
            **SLACK,
            "id": 999,
            "last_triggered_at": "2020-01-01 00:00:00",
            "last_error": "forged",
            "created_at": "2020-01-01 00:00:00",
            "updated_at": "2020-01-01 00:00:00",
            "success_rate_24h": 1.0,
            "consecutive_failures": 9,
            "failing_since": "2020-01-01 00:00:00",
            "disabled_reason": "forged",
        }
        status, body = curl("POST", API, forged)
        assert status == 201
        stored = Webhook.objects.get(pk=body["id"])
        assert stored.pk != 999
        assert stored.last_triggered_at is None
        assert stored.last_error is None
        assert stored.created_at.year > 2020
        assert (stored.consecutive_failures, stored.failing_since) == (0, None)
        assert stored.disabled_reason is None
        assert body["success_rate_24h"] is None


class TestRetrieveUpdateDelete:
    def test_gets_one(self, admin_user, webhook):
        status, body = curl("GET", f"{API}/{webhook.pk}")
        assert status == 200
        assert set(body) == FIELDS
        assert body["secret"].endswith("...")

    @pytest.mark.parametrize("method", ["PUT", "PATCH"])
    def test_updates_a_subset(self, admin_user, webhook, method):
        change = {
            "events": ["feed.created", "comment.created", "space.created"],
            "status": "inactive",
        }
        status, body = curl(method, f"{API}/{webhook.pk}", change)
        assert status == 200
        assert body["message"] == "Webhook updated successfully."
        assert body["events"] == change["events"]
        assert body["status"] == "inactive"
        assert body["name"] == webhook.name
        webhook.refresh_from_db()
        assert webhook.events == change["events"]
        assert webhook.status == "inactive"

    def test_update_ignores_secret_and_read_only_fields(self, admin_user, webhook):
        before = Webhook.objects.get(pk=webhook.pk)
        forged = {
            "secret": "attacker-chosen-secret-123",
            "id": 77,
            "last_error": "x",
            "last_triggered_at": "2020-01-01 00:00:00",
            "created_at": "2020-01-01 00:00:00",
            "consecutive_failures": 9,
            "failing_since": "2020-01-01 00:00:00",
            "disabled_reason": "forged",
            "success_rate_24h": 0.5,
        }
        status, body = curl("PUT", f"{API}/{webhook.pk}", forged)
        assert status == 200
        assert body["consecutive_failures"] == 0
        assert body["success_rate_24h"] is None
        after = Webhook.objects.get(pk=webhook.pk)
        assert (after.consecutive_failures, after.failing_since) == (0, None)
        assert after.disabled_reason is None
        assert after.secret == before.secret
        assert after.last_error is None
        assert after.last_triggered_at is None
        assert after.created_at == before.created_at

    def test_deletes(self, admin_user, webhook):
        assert curl("DELETE", f"{API}/{webhook.pk}") == (
            200,
            {"message": "Webhook deleted successfully."},
        )
        assert not Webhook.objects.exists()

    @pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
    @pytest.mark.parametrize("webhook_id", ["9999", "abc"])
    def test_unknown_webhook_is_not_found(self, admin_user, method, webhook_id):
        body = {"name": "x"} if method == "PUT" else None
        assert_error(
            curl(method, f"{API}/{webhook_id}", body), 404, "not_found", "Webhook not found."
        )

    def test_test_endpoint_of_unknown_webhook(self, admin_user):
        assert_error(curl("POST", f"{API}/9999/test"), 404, "not_found", "Webhook not found.")


class TestAuthentication:
    def test_anonymous_is_told_to_log_in(self, db):
        response = Client().get(API)
        assert_error(response, 401, "rest_not_logged_in")
        assert response["WWW-Authenticate"].startswith("Basic")

    def test_wrong_password(self, admin_user):
        response = Client().get(API, HTTP_AUTHORIZATION=basic_auth("admin", "wrong"))
        assert_error(response, 401, "rest_not_logged_in")

    def test_non_administrator_is_forbidden(self, member_user, webhook):
        message = "Sorry, you don't have permission to manage webhooks."
        assert_error(curl("GET", API, user="member"), 403, "rest_forbidden", message)
        assert_error(curl("DELETE", f"{API}/{webhook.pk}", user="member"), 403, "rest_forbidden")
        assert Webhook.objects.filter(pk=webhook.pk).exists()

    def test_staff_without_the_permission_is_forbidden(self, member_user):
        member_user.is_staff = True
        member_user.save()
        assert_error(curl("GET", API, user="member"), 403, "rest_forbidden")

    def test_user_with_manage_permission_is_admitted(self, manager_user):
        assert curl("GET", API, user="manager")[0] == 200
        assert curl("POST", API, SLACK, user="manager")[0] == 201

    @pytest.mark.parametrize("keyword", ["Bearer", "Token"])
    def test_token(self, admin_user, keyword):
        token = Token.objects.create(user=admin_user)
        response = Client().get(API, HTTP_AUTHORIZATION=f"{keyword} {token.key}")
        assert response.status_code == 200

    def test_bad_token(self, admin_user):
        response = Client().get(API, HTTP_AUTHORIZATION="Bearer nope")
        assert_error(response, 401, "rest_not_logged_in")

    @pytest.mark.parametrize(
        "authorization",
        [
            "Basic " + base64.b64encode(b"ad\x00min:x").decode(),  # found by Schemathesis
            "Bearer ab\x00cd",
            "Token ab\x00cd",
        ],
    )
    def test_credentials_with_nul_are_refused_not_a_crash(self, admin_user, authorization):
        # PostgreSQL refuses NUL in a string: the user or token lookup raised ValueError (500).
        response = Client().get(API, HTTP_AUTHORIZATION=authorization)
        assert_error(response, 401, "rest_not_logged_in")

    def test_session_needs_csrf_for_unsafe_methods(self, admin_user):
        client = Client(enforce_csrf_checks=True)
        client.force_login(admin_user)
        assert client.get(API).status_code == 200
        refused = client.post(API, data=json.dumps(SLACK), content_type="application/json")
        assert_error(refused, 403, "rest_cookie_invalid_nonce")
        assert not Webhook.objects.exists()
        client.get("/admin/password_change/")  # a form page sets the CSRF cookie
        token = client.cookies["csrftoken"].value
        accepted = client.post(
            API, data=json.dumps(SLACK), content_type="application/json", HTTP_X_CSRFTOKEN=token
        )
        assert accepted.status_code == 201


INVALID_URLS = {
    "http://hooks.example.com/x": "Webhook URL must use HTTPS protocol.",
    "ftp://hooks.example.com/x": "Webhook URL must use HTTPS protocol.",
    "not a url": None,
    "https://": None,
    "https://user:pass@hooks.example.com/x": None,
    "https://127.0.0.1/x": None,
    "https://localhost:8000/x": None,
    "https://2130706433/x": None,
    "https://10.1.2.3/x": None,
    "https://192.168.1.1/x": None,
    "https://169.254.169.254/latest/meta-data": None,
    "https://0.0.0.0/x": None,
    "https://[::1]/x": None,
    "https://[::ffff:127.0.0.1]/x": None,
    "https://[fe80::1]/x": None,
    "https://exa mple.com/x": None,
    "https://bad_host!.com/x": None,
}


class TestInvalidUrl:
    @pytest.mark.parametrize(("url", "message"), INVALID_URLS.items())
    def test_rejected_on_create(self, admin_user, url, message):
        body = assert_error(curl("POST", API, {**SLACK, "url": url}), 400, "invalid_url", message)
        assert body["message"]
        assert body["data"]["errors"]["url"] == body["message"]
        assert not Webhook.objects.exists()

    def test_rejected_on_update_and_nothing_changes(self, admin_user, webhook):
        body = {"url": "http://hooks.example.com/x", "name": "changed"}
        assert_error(curl("PUT", f"{API}/{webhook.pk}", body), 400, "invalid_url")
        webhook.refresh_from_db()
        assert webhook.name == "Slack Notifications"

    def test_plain_http_when_https_is_not_required(self, admin_user, settings):
        settings.FLUENT_WEBHOOKS = {"REQUIRE_HTTPS": False}
        assert curl("POST", API, {**SLACK, "url": "http://hooks.example.com/x"})[0] == 201
        assert_error(
            curl("POST", API, {**SLACK, "url": "ftp://h.example.com/"}), 400, "invalid_url"
        )

    def test_allowed_network_admits_its_addresses_only(self, admin_user, settings):
        settings.FLUENT_WEBHOOKS = {"ALLOWED_NETWORKS": ["10.0.0.0/8"]}
        assert curl("POST", API, {**SLACK, "url": "https://10.1.2.3/x"})[0] == 201
        assert_error(
            curl("POST", API, {**SLACK, "url": "https://192.168.0.1/x"}), 400, "invalid_url"
        )


INVALID_DATA = [
    ({"events": ["feed.created", "no.such_event"]}, "events"),
    ({"events": []}, "events"),
    ({"events": "feed.created"}, "events"),
    ({"name": "x" * 256}, "name"),
    ({"name": ""}, "name"),
    ({"retry_count": -1}, "retry_count"),
    ({"retry_count": 11}, "retry_count"),
    ({"retry_count": "many"}, "retry_count"),
    ({"status": "paused"}, "status"),
    ({"secret": "short"}, "secret"),
    ({"headers": ["X-A", "b"]}, "headers"),
    ({"headers": "X-A: b"}, "headers"),
    ({"headers": {"X-A": 1}}, "headers"),
    ({"headers": {"Bad Name": "v"}}, "headers"),
    ({"headers": {"X-A": "v\r\nX-Injected: 1"}}, "headers"),
    ({"headers": {"X-A": "v\nx"}}, "headers"),
    ({"headers": {"X-A": "v\x00"}}, "headers"),
    ({"headers": {f"X-H{i}": "v" for i in range(21)}}, "headers"),
    *[
        ({"headers": {name: "v"}}, "headers")
        for name in (
            "Host",
            "content-type",
            "CONTENT-LENGTH",
            "Transfer-Encoding",
            "connection",
            "User-Agent",
            "X-Fluent-Signature",
            "x-fluent-delivery",
            "X-FLUENT-EVENT",
            "X-Fluent-Timestamp",
            "webhook-signature",
            "Webhook-Id",
        )
    ],
]


class TestInvalidData:
    @pytest.mark.parametrize(("change", "field"), INVALID_DATA)
    def test_rejected_on_create_with_the_field_named(self, admin_user, change, field):
        body = assert_error(
            curl("POST", API, {**SLACK, **change}), 400, "invalid_data", "Invalid webhook data."
        )
        assert list(body["data"]["errors"]) == [field]
        assert isinstance(body["data"]["errors"][field], str)
        assert not Webhook.objects.exists()

    @pytest.mark.parametrize(("change", "field"), [c for c in INVALID_DATA if c[1] != "secret"])
    def test_rejected_on_update_and_nothing_changes(self, admin_user, webhook, change, field):
        before = Webhook.objects.filter(pk=webhook.pk).values().get()
        body = assert_error(curl("PUT", f"{API}/{webhook.pk}", change), 400, "invalid_data")
        assert field in body["data"]["errors"]
        assert Webhook.objects.filter(pk=webhook.pk).values().get() == before

    @pytest.mark.parametrize("missing", ["name", "url", "events"])
    def test_required_fields(self, admin_user, missing):
        body = {key: value for key, value in SLACK.items() if key != missing}
        errors = assert_error(curl("POST", API, body), 400, "invalid_data")["data"]["errors"]
        assert missing in errors

    def test_all_field_errors_are_reported_together(self, admin_user):
        body = {"name": "", "url": "http://x.example.com", "events": []}
        errors = assert_error(curl("POST", API, body), 400, "invalid_url")["data"]["errors"]
        assert set(errors) == {"name", "url", "events"}

    def test_body_must_be_an_object(self, admin_user):
        errors = assert_error(curl("POST", API, [SLACK]), 400, "invalid_data")["data"]["errors"]
        assert "body" in errors


class TestMalformedRequests:
    def test_malformed_json(self, admin_user):
        response = Client().post(
            API,
            data='{"name": "x", ',
            content_type="application/json",
            HTTP_AUTHORIZATION=basic_auth("admin"),
        )
        assert_error(response, 400, "rest_invalid_json")
        assert not Webhook.objects.exists()

    def test_form_body_is_refused_in_the_documented_format(self, admin_user):
        response = Client().post(API, data={"name": "x"}, HTTP_AUTHORIZATION=basic_auth("admin"))
        assert_error(response, 415, "rest_unsupported_media_type")
        assert response["Content-Type"] == "application/json"

    def test_method_not_allowed(self, admin_user):
        response = Client().delete(API, HTTP_AUTHORIZATION=basic_auth("admin"))
        assert_error(response, 405, "rest_no_route")

    def test_api_client_with_trailing_slash(self, api):
        assert api.get(f"{API}/").status_code == 200


class TestHostileInput:
    """Odd ids, bodies and paths answer in the documented error shape, never with a 500."""

    @pytest.mark.parametrize(
        "webhook_id", ["²", "\uff11\uff12", "\u0663", "9" * 5000, "9" * 19, "-1"]
    )
    def test_an_id_that_is_not_a_plain_number_is_not_found(self, admin_user, webhook_id):
        assert_error(curl("GET", f"{API}/{webhook_id}"), 404, "not_found", "Webhook not found.")

    def test_json_nested_deeper_than_python_can_parse_is_invalid_json(self, admin_user):
        deep = '{"name":' * 100_000 + "1" + "}" * 100_000
        response = Client().post(
            API, deep, content_type="application/json", HTTP_AUTHORIZATION=basic_auth("admin")
        )
        assert_error(response, 400, "rest_invalid_json")

    def test_json_nested_deeply_but_parseable_is_refused_too(self, admin_user, webhook):
        # Deep enough to parse, deep enough to exhaust the stack of whatever walks it next.
        deep = '{"data":' + '{"a":' * 900 + "1" + "}" * 901
        response = Client().post(
            f"{API}/{webhook.pk}/preview",
            deep,
            content_type="application/json",
            HTTP_AUTHORIZATION=basic_auth("admin"),
        )
        assert_error(response, 400, "rest_invalid_json")

    def test_preview_data_with_a_lone_surrogate_is_invalid_data(self, admin_user, webhook):
        response = Client().post(
            f"{API}/{webhook.pk}/preview",
            '{"event": "feed.created", "data": {"title": "\\ud800"}}',
            content_type="application/json",
            HTTP_AUTHORIZATION=basic_auth("admin"),
        )
        body = assert_error(response, 400, "invalid_data")
        assert body["data"]["errors"] == {
            "data": "data.title: a lone surrogate (U+D800) is not JSON text"
        }

    def test_a_body_over_the_upload_limit_is_too_large(self, admin_user, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
        body = json.dumps({"name": "x" * 10_000_000})
        response = Client().post(
            API, body, content_type="application/json", HTTP_AUTHORIZATION=basic_auth("admin")
        )
        body = assert_error(response, 413, "rest_request_too_large")
        assert "1000000 bytes" in body["message"]

    @pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "OPTIONS"])
    @pytest.mark.parametrize(
        "path", ["/wp-json/fluent-community/v2/admin/nope", f"{API}/1/nope", f"{API}/1/test/x"]
    )
    def test_an_unknown_path_under_the_api_prefix_has_no_route(self, db, method, path):
        response = getattr(Client(), method.lower())(path)
        assert response["Content-Type"] == "application/json"
        assert_error(
            response,
            404,
            "rest_no_route",
            "No route was found matching the URL and request method.",
        )
