from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from fluent_webhooks.models import Webhook
from tests.receiver import Receiver

API = "/wp-json/fluent-community/v2/admin/webhooks"
PASSWORD = "correct horse battery staple"


def basic_auth(username: str, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.com", PASSWORD)


@pytest.fixture
def manager_user(django_user_model):
    """A non-superuser granted the app's manage_webhooks permission."""
    user = django_user_model.objects.create_user("manager", "m@example.com", PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="manage_webhooks"))
    return user


@pytest.fixture
def member_user(django_user_model):
    return django_user_model.objects.create_user("member", "member@example.com", PASSWORD)


@pytest.fixture
def api(admin_user) -> APIClient:
    """A client that sends HTTP Basic credentials of a superuser, as the spec's curl does."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(admin_user.username))
    return client


@pytest.fixture
def loopback_allowed(settings) -> None:
    """Let webhooks reach plain-http receivers on loopback, as the demo does."""
    settings.FLUENT_WEBHOOKS = {"REQUIRE_HTTPS": False, "ALLOWED_NETWORKS": ["127.0.0.0/8"]}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_bundle(certificate_authority, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def https_receiver(certificate_authority) -> Iterator[Receiver]:
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    server = Receiver(ssl_context=context).start()
    yield server
    server.stop()


@pytest.fixture
def webhook(db) -> Webhook:
    return Webhook.objects.create(
        name="Slack Notifications",
        url="https://hooks.example.com/services/T000/B000",
        events=["feed.created", "comment.created"],
    )
