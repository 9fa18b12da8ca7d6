"""Schemathesis against the running API over its OpenAPI document.

Every operation, as an administrator (HTTP Basic of a superuser) and anonymously, with
requests generated from the document (valid and invalid): no server error, every status
code documented, every response in its documented shape. The server is pytest-django's
``live_server`` on the test database; every outbound connection a test send makes is sent
to a loopback address that the address guard refuses, and redeliveries and replays are
published to an in-memory broker that no worker reads, so nothing leaves the machine.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from django.core.cache import cache
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from example_project.celery import app
from fluent_webhooks.api.delivery_shapes import DELIVERY_ID
from fluent_webhooks.http import transport
from fluent_webhooks.lookups import delivery_pk
from fluent_webhooks.models import Attempt, Delivery, Event, Webhook
from tests.conftest import API, PASSWORD, basic_auth, use_broker

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
PREFIX = API.removesuffix("/webhooks")
# About 2,000 requests in all (14 operations x 2 roles, with Schemathesis's own requests for
# undocumented methods, missing credentials and the coverage phase's edge cases); under a
# minute here, about a minute and a half on a loaded 2-core machine.
EXAMPLES_PER_OPERATION = 20
MIN_REQUESTS = 1000
THROTTLE_WINDOW = 40
ROLES = ("admin", "anonymous")

# The committed document (test_openapi.py holds it to the code); the server comes per test.
schema = schemathesis.openapi.from_path(DOCUMENT)
requests_made: Counter[str] = Counter()
answered: Counter[str] = Counter()  # "admin GET /path 200": what the administrator was given
outbound: list[str] = []  # host:port of every connection a test send asked for
WEBHOOK_IDS = (1, 2, 3)
# Webhook 1's deliveries, one per status a request can meet: failed (the document's example
# id, which Schemathesis's coverage phase starts from), succeeded, pending, sending.
DELIVERY_IDS = [uuid.UUID(DELIVERY_ID.examples[0].value), *(uuid.UUID(int=n) for n in (2, 3, 4))]
# Operations on existing records: the administrator must reach them, not only their 404s.
MUST_SUCCEED = {
    "GET /webhooks/{webhook_id}/deliveries/{delivery_id}",
    "POST /webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    "POST /webhooks/{webhook_id}/replay",
    "POST /webhooks/{webhook_id}/rotate-secret",
}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Generated ids seldom name a seeded record: a valid id is, as often as not, swapped for
    one that does, so each operation is exercised on real rows as well as on missing ones.
    Invalid ids (negative testing) are left alone."""
    if not path_parameters:  # an operation without any
        return st.just(path_parameters)
    webhook_id, delivery_id = path_parameters.get("webhook_id"), path_parameters.get("delivery_id")
    if type(webhook_id) is not int:
        return st.just(path_parameters)
    if "delivery_id" not in path_parameters:
        seeded = [{"webhook_id": pk} for pk in WEBHOOK_IDS]
    elif isinstance(delivery_id, str) and delivery_pk(delivery_id) is not None:
        seeded = [{"webhook_id": 1, "delivery_id": str(pk)} for pk in DELIVERY_IDS]
    else:
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters), st.sampled_from(seeded))


@pytest.fixture(scope="module", autouse=True)
def _at_least_min_requests(request):
    """After the whole module: at least MIN_REQUESTS generated requests, when it ran whole
    (hypothesis stops early on operations with few distinct inputs)."""
    requests_made.clear()
    answered.clear()
    outbound.clear()
    yield
    ours = [item for item in request.session.items if item.module is request.module]
    if request.session.testsfailed or len(ours) < len(ROLES) * len(
        list(schema.get_all_operations())
    ):
        return  # a selection (-k) or an earlier failure: the count proves nothing
    total = sum(requests_made.values())
    assert total >= MIN_REQUESTS, f"only {total} requests: {dict(requests_made)}"
    # Test sends of the seeded webhooks ran, and went nowhere but the sinkhole.
    assert outbound
    succeeded = {key.rsplit(" ", 1)[0] for key in answered if key.endswith(("200", "202"))}
    missed = {op for op in MUST_SUCCEED if f"admin {op}" not in succeeded}
    assert not missed, f"never succeeded: {missed}; answers: {dict(answered)}"


@pytest.fixture(params=ROLES)
def role(request) -> str:
    return request.param


@pytest.fixture
def sinkhole(monkeypatch) -> None:
    """Every connection the sender would make goes to 127.0.0.1:9, which the address guard
    (no ALLOWED_NETWORKS in the test settings) refuses before any socket is opened."""
    lock = threading.Lock()

    def connect_to(host: str, port: int) -> tuple[str, int]:
        with lock:
            outbound.append(f"{host}:{port}")
        return "127.0.0.1", 9

    monkeypatch.setattr(transport, "_connect_to", connect_to)


@pytest.fixture
def no_worker() -> Iterator[None]:
    """Redeliveries and replays publish to kombu's in-memory broker, which no worker reads:
    the tests' real worker (if an earlier test started it) would send them to the seeded
    URLs for real."""
    before = app.conf.broker_url
    use_broker(app, "memory://")
    yield
    use_broker(app, before)


@pytest.fixture
def seeded(transactional_db, django_user_model) -> None:
    django_user_model.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    # Small ids, which generated path parameters hit often, one of each format.
    for pk, url, fmt in zip(
        WEBHOOK_IDS,
        (
            "https://hooks.example.com/fluent",
            "https://hooks.slack.com/services/T0/B0/x",
            "https://discord.com/api/webhooks/1/x",
        ),
        ("fluent", "slack", "discord"),
        strict=True,
    ):
        Webhook.objects.create(pk=pk, name=f"seed {pk}", url=url, events=["*"], format=fmt)
    # Explicit ids leave PostgreSQL's sequence behind: the next create would take id 1.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Webhook]):
            cursor.execute(statement)
    # Webhook 1's log, over the last hour: one delivery of each state a request can meet.
    now = timezone.now()
    for n, (pk, status) in enumerate(
        zip(DELIVERY_IDS, ("failed", "succeeded", "pending", "sending"), strict=True)
    ):
        at = now - timedelta(minutes=10 * (n + 1))
        event = Event.objects.create(
            name="feed.created", body='{"event":"feed.created"}', created_at=at
        )
        delivery = Delivery.objects.create(
            pk=pk,
            event=event,
            webhook_id=1,
            status=status,
            created_at=at,
            next_attempt_at=at,
            attempt_count=1,
            locked_until=now + timedelta(hours=1) if status == "sending" else None,
        )
        Attempt.objects.create(
            delivery=delivery,
            number=1,
            started_at=at,
            status_code=500 if status == "failed" else 200,
            succeeded=status == "succeeded",
            request_headers={"X-Fluent-Event": "feed.created"},
        )


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_document(case, role, seeded, live_server, sinkhole, no_worker):
    # positive_data_acceptance is off: the document cannot say that a URL must reach a public
    # address or that an event name must be in the (extensible) catalog, so a schema-valid body
    # may rightly get a documented 400. Every other check of Schemathesis runs.
    headers = {"Authorization": basic_auth("admin")} if role == "admin" else {}
    key = f"{role} {case.method} {case.path}"
    requests_made[key] += 1
    if requests_made[key] % THROTTLE_WINDOW == 0:
        # TEST_SEND_RATE (30 a minute) would let a throttled operation reach its view 30 times
        # in the whole run: each stretch of THROTTLE_WINDOW requests gets 30 through, the rest
        # answered 429.
        cache.clear()
    response = case.call_and_validate(
        base_url=live_server.url, headers=headers, excluded_checks=[positive_data_acceptance]
    )
    path = case.path.removeprefix(PREFIX)
    answered[f"{role} {case.method} {path} {response.status_code}"] += 1
