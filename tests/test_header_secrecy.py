"""Custom header values are credentials: shown whole once, masked after, never carried to a
new host (issue 10, defect 8). Through the API and through the admin form."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from fluent_webhooks.models import Webhook
from fluent_webhooks.redaction import mask_header_value
from tests.conftest import API
from tests.test_api import curl

pytestmark = pytest.mark.django_db

KEY = "sk_live_0123456789abcdefghij"
CRM = "https://crm.example.com/hooks"


@pytest.fixture
def keyed(admin_user) -> Webhook:
    return Webhook.objects.create(
        name="CRM", url=CRM, events=["feed.created"], headers={"X-API-Key": KEY, "X-Pin": "42"}
    )


def test_the_create_response_shows_the_values_once_and_reads_mask_them(admin_user):
    status, created = curl(
        "POST", API, {"name": "CRM", "url": CRM, "events": ["*"], "headers": {"X-API-Key": KEY}}
    )
    assert status == 201
    assert created["headers"] == {"X-API-Key": KEY}
    _, read = curl("GET", f"{API}/{created['id']}")
    _, listed = curl("GET", API)
    assert read["headers"] == {"X-API-Key": "sk_l..."}
    assert listed["webhooks"][0]["headers"] == {"X-API-Key": "sk_l..."}
    assert KEY not in json.dumps([read, listed])


def test_a_short_value_shows_none_of_its_characters(keyed):
    _, read = curl("GET", f"{API}/{keyed.pk}")
    assert read["headers"]["X-Pin"] == "..."


def test_sending_the_masked_values_back_keeps_the_stored_ones(keyed):
    _, read = curl("GET", f"{API}/{keyed.pk}")
    status, updated = curl(
        "PUT", f"{API}/{keyed.pk}", {"name": "CRM 2", "headers": read["headers"]}
    )
    assert status == 200, updated
    assert KEY not in json.dumps(updated)
    keyed.refresh_from_db()
    assert keyed.headers == {"X-API-Key": KEY, "X-Pin": "42"}


def test_a_new_value_replaces_a_masked_one(keyed):
    curl(
        "PUT",
        f"{API}/{keyed.pk}",
        {"headers": {"X-API-Key": "sk_live_new_value_000", "X-Pin": "..."}},
    )
    keyed.refresh_from_db()
    assert keyed.headers == {"X-API-Key": "sk_live_new_value_000", "X-Pin": "42"}


def test_moving_the_url_to_another_host_clears_the_headers(keyed):
    status, updated = curl("PUT", f"{API}/{keyed.pk}", {"url": "https://elsewhere.example.net/h"})
    assert status == 200, updated
    assert updated["headers"] == {}
    keyed.refresh_from_db()
    assert keyed.headers == {}


@pytest.mark.parametrize(
    "new_url",
    [
        "https://crm.example.com:8443/hooks",
        "https://evil.example.com/hooks",
        "https://CRM.example.com.evil.net/",
    ],
)
def test_masked_values_are_not_carried_to_another_host(keyed, new_url):
    _, read = curl("GET", f"{API}/{keyed.pk}")
    curl("PUT", f"{API}/{keyed.pk}", {"url": new_url, "headers": read["headers"]})
    keyed.refresh_from_db()
    assert keyed.headers == {}


def test_headers_set_again_with_the_move_are_kept(keyed):
    curl(
        "PUT",
        f"{API}/{keyed.pk}",
        {"url": "https://new.example.org/h", "headers": {"X-API-Key": "fresh-key-for-new"}},
    )
    keyed.refresh_from_db()
    assert keyed.headers == {"X-API-Key": "fresh-key-for-new"}


def test_a_move_on_the_same_host_keeps_the_headers(keyed):
    curl("PUT", f"{API}/{keyed.pk}", {"url": "https://crm.example.com/other/path"})
    keyed.refresh_from_db()
    assert keyed.headers == {"X-API-Key": KEY, "X-Pin": "42"}


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_form(webhook: Webhook, **overrides: str) -> dict[str, object]:
    data: dict[str, object] = {
        "name": webhook.name,
        "url": webhook.url,
        "events": webhook.events,
        "status": webhook.status,
        "format": "",
        "template": "",
        "headers": json.dumps({n: mask_header_value(v) for n, v in webhook.headers.items()}),
        "retry_count": str(webhook.retry_count),
    }
    data.update(overrides)
    return data


def test_the_admin_form_masks_the_values_and_saving_it_keeps_them(admin_user, keyed):
    client = admin_client(admin_user)
    url = f"/admin/fluent_webhooks/webhook/{keyed.pk}/change/"
    page = client.get(url).content.decode()
    assert "X-API-Key" in page
    assert KEY not in page
    response = client.post(url, change_form(keyed, name="Renamed"))
    assert response.status_code == 302, response.content.decode()[:3000]
    keyed.refresh_from_db()
    assert (keyed.name, keyed.headers) == ("Renamed", {"X-API-Key": KEY, "X-Pin": "42"})


def test_the_admin_clears_masked_values_when_the_url_moves_host_and_says_so(admin_user, keyed):
    client = admin_client(admin_user)
    url = f"/admin/fluent_webhooks/webhook/{keyed.pk}/change/"
    response = client.post(url, change_form(keyed, url="https://other.example.org/h"), follow=True)
    assert response.status_code == 200
    keyed.refresh_from_db()
    assert keyed.headers == {}
    assert "X-API-Key, X-Pin" in response.content.decode()


@pytest.mark.parametrize("field", ["headers", "template"])
def test_json_too_deep_for_python_is_a_form_error_not_a_crash(admin_user, keyed, field):
    deep = "[" * 100_000 + "]" * 100_000
    response = admin_client(admin_user).post(
        f"/admin/fluent_webhooks/webhook/{keyed.pk}/change/", change_form(keyed, **{field: deep})
    )
    assert response.status_code == 200
    assert "nested more than" in response.content.decode()
    keyed.refresh_from_db()
    assert keyed.headers == {"X-API-Key": KEY, "X-Pin": "42"}


def test_a_mask_is_recognised_whatever_the_case_of_the_header_name(keyed):
    curl("PUT", f"{API}/{keyed.pk}", {"headers": {"x-api-key": "sk_l...", "X-PIN": "..."}})
    keyed.refresh_from_db()
    assert keyed.headers == {"x-api-key": KEY, "X-PIN": "42"}


@pytest.mark.parametrize("stale", ["supe...", "sk_m...", "4..."])
def test_a_mask_that_matches_no_saved_value_is_refused_and_changes_nothing(keyed, stale):
    status, body = curl("PUT", f"{API}/{keyed.pk}", {"headers": {"X-API-Key": stale}})
    assert status == 400, body
    assert body["code"] == "invalid_data"
    assert "mask" in body["data"]["errors"]["headers"]
    keyed.refresh_from_db()
    assert keyed.headers == {"X-API-Key": KEY, "X-Pin": "42"}


def test_the_update_names_the_headers_a_move_cleared(keyed):
    _, body = curl("PUT", f"{API}/{keyed.pk}", {"url": "https://elsewhere.example.net/h"})
    assert body["message"] == (
        "Webhook updated successfully. The URL moved to another host, so these custom headers "
        "were cleared: X-API-Key, X-Pin."
    )


@pytest.mark.django_db(transaction=True)
def test_a_mask_sent_while_another_request_moves_the_url_is_not_carried_over(
    admin_user, test_database_url
):
    """Two updates at once: one moves the URL, the other sends the mask back. Whichever
    commits first, the credential never ends up stored beside the new host."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    webhook = Webhook.objects.create(
        name="CRM", url=CRM, events=["feed.created"], headers={"X-API-Key": KEY}
    )
    for _ in range(10):
        Webhook.objects.filter(pk=webhook.pk).update(url=CRM)
        webhook.refresh_from_db()
        webhook.headers = {"X-API-Key": KEY}
        webhook.save()
        start = threading.Barrier(2)

        def put(body: dict, start: threading.Barrier = start) -> None:
            start.wait()
            curl("PATCH", f"{API}/{webhook.pk}", body)
            connection.close()

        threads = [
            threading.Thread(target=put, args=({"url": "https://attacker.example.net/h"},)),
            threading.Thread(target=put, args=({"headers": {"X-API-Key": "sk_l..."}},)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        webhook.refresh_from_db()
        assert webhook.url == "https://attacker.example.net/h"
        assert webhook.headers == {}, "the old receiver's key went with the moved URL"
