"""Schemathesis against the running API over its OpenAPI document.

Every operation, as an administrator (HTTP Basic of a superuser) and anonymously, with
requests generated from the document (valid and invalid): no server error, every status
code documented, every response in its documented shape. The server is pytest-django's
``live_server`` on the test database; every outbound connection a test send makes is sent
to a loopback address that the address guard refuses, so nothing leaves the machine.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from django.core.management.color import no_style
from django.db import connection
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from fluent_webhooks.http import transport
from fluent_webhooks.models import Webhook
from tests.conftest import PASSWORD, basic_auth

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
# Over 1,000 requests in all (8 operations x 2 roles, with Schemathesis's own requests for
# undocumented methods and missing credentials); about a minute on a loaded 2-core machine.
EXAMPLES_PER_OPERATION = 30
MIN_REQUESTS = 1000
ROLES = ("admin", "anonymous")

# The committed document (test_openapi.py holds it to the code); the server comes per test.
schema = schemathesis.openapi.from_path(DOCUMENT)
requests_made: Counter[str] = Counter()
outbound: list[str] = []  # host:port of every connection a test send asked for


@pytest.fixture(scope="module", autouse=True)
def _at_least_min_requests(request):
    """After the whole module: at least MIN_REQUESTS generated requests, when it ran whole
    (hypothesis stops early on operations with few distinct inputs)."""
    requests_made.clear()
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
def seeded(transactional_db, django_user_model) -> None:
    django_user_model.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    # Small ids, which generated path parameters hit often, one of each format.
    for pk, url, fmt in (
        (1, "https://hooks.example.com/fluent", "fluent"),
        (2, "https://hooks.slack.com/services/T0/B0/x", "slack"),
        (3, "https://discord.com/api/webhooks/1/x", "discord"),
    ):
        Webhook.objects.create(pk=pk, name=f"seed {pk}", url=url, events=["*"], format=fmt)
    # Explicit ids leave PostgreSQL's sequence behind: the next create would take id 1.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Webhook]):
            cursor.execute(statement)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_document(case, role, seeded, live_server, sinkhole):
    # positive_data_acceptance is off: the document cannot say that a URL must reach a public
    # address or that an event name must be in the (extensible) catalog, so a schema-valid body
    # may rightly get a documented 400. Every other check of Schemathesis runs.
    headers = {"Authorization": basic_auth("admin")} if role == "admin" else {}
    requests_made[f"{role} {case.method} {case.path}"] += 1
    case.call_and_validate(
        base_url=live_server.url, headers=headers, excluded_checks=[positive_data_acceptance]
    )
