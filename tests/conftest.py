from __future__ import annotations

import base64
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.core.signals import setting_changed
from django.dispatch import receiver
from rest_framework.test import APIClient

from fluent_webhooks.models import Webhook
from tests.receiver import Receiver
from tests.services import CeleryWorker, RedisServer

API = "/wp-json/fluent-community/v2/admin/webhooks"

# Celery prefers the CELERY_BROKER_URL variable to any setting. CI sets it for the demo-flow
# test; everything else in this process uses the in-memory broker or the tests' own Redis.
SYSTEM_BROKER_URL = os.environ.pop("CELERY_BROKER_URL", None)
PASSWORD = "correct horse battery staple"
# The payload's xprofile keys, as the API family documents them.
XPROFILE_KEYS = {
    "user_id",
    "total_points",
    "is_verified",
    "status",
    "display_name",
    "username",
    "avatar",
    "created_at",
    "short_description",
    "meta",
    "badge",
}


@receiver(setting_changed)
def _keep_the_encryption_key(setting, value, **kwargs) -> None:
    """Tests replace FLUENT_WEBHOOKS whole to change a key or two; the encryption key the
    stored rows need stays unless the test sets ENCRYPTION_KEYS itself."""
    if setting == "FLUENT_WEBHOOKS" and isinstance(value, dict):
        value.setdefault("ENCRYPTION_KEYS", django_settings.WEBHOOKS_ENCRYPTION_KEYS)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


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


# --- Integration with the real services: Redis, PostgreSQL, a Celery worker process ---

REQUIRE_SERVICES = os.environ.get("FLUENT_WEBHOOKS_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Outside CI, a machine without the services skips; in CI, their absence is a failure."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (FLUENT_WEBHOOKS_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def use_broker(app, url: str) -> None:
    """Point the test process's Celery app at ``url``, dropping pooled connections."""
    app.conf.broker_url = url
    app._after_fork()  # Celery's own reset of the connection and producer pools


@dataclass(frozen=True)
class ChatServices:
    """HTTPS receivers standing in for Slack's and Discord's incoming webhooks and SendGrid's
    mail API, reached at their real host names through CONNECT_TO (no DNS), with certificates
    for those names."""

    slack: Receiver
    discord: Receiver
    sendgrid: Receiver

    def connect_to(self) -> dict[str, str]:
        return {
            "hooks.slack.com:443": f"127.0.0.1:{self.slack.port}",
            "api.sendgrid.com:443": f"127.0.0.1:{self.sendgrid.port}",
            **{f"{host}:443": f"127.0.0.1:{self.discord.port}" for host in DISCORD_HOSTS},
        }


DISCORD_HOSTS = ("discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com")


@pytest.fixture(scope="session")
def chat_services(certificate_authority) -> Iterator[ChatServices]:
    import ssl

    def https(*names: str) -> Receiver:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate_authority.issue_cert(*names).configure_cert(context)
        return Receiver(ssl_context=context).start()

    services = ChatServices(
        slack=https("hooks.slack.com"),
        discord=https(*DISCORD_HOSTS),
        sendgrid=https("api.sendgrid.com"),
    )
    yield services
    services.slack.stop()
    services.discord.stop()
    services.sendgrid.stop()


@pytest.fixture(scope="session")
def worker_settings(ca_bundle, chat_services) -> dict:
    """The app settings of the worker process and of the test process alike."""
    return {
        "CONNECT_TO": chat_services.connect_to(),
        "REQUIRE_HTTPS": False,
        "ALLOWED_NETWORKS": ["127.0.0.0/8"],
        "CA_BUNDLE": str(ca_bundle),
        "CONNECT_TIMEOUT": 1,
        "READ_TIMEOUT": 1,
        "ATTEMPT_DEADLINE": 3,
        "RETRY_SCHEDULE": [0.3],
        "RETRY_JITTER": 0,
        "STUCK_AFTER": 5,
    }


@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> Iterator[RedisServer]:
    if not RedisServer.available():
        skip_or_fail("redis-server is not installed")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def test_database_url(django_db_setup) -> str:
    """The test database as a URL, for processes of our own that must share it."""
    from django.db import connection

    database = connection.settings_dict
    if database["ENGINE"] != "django.db.backends.postgresql":
        skip_or_fail("tests with separate processes need PostgreSQL: set DATABASE_URL")
    return (
        f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )


@pytest.fixture(scope="session")
def celery_worker(
    test_database_url, broker, worker_settings, tmp_path_factory
) -> Iterator[CeleryWorker]:
    """A real worker process on the real broker and the test database; its pool processes
    write their Prometheus counts to ``PROMETHEUS_MULTIPROC_DIR`` (``worker.env``)."""
    database_url = test_database_url
    from example_project.celery import app

    use_broker(app, broker.url)
    worker = CeleryWorker(
        {
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url,
            "FLUENT_WEBHOOKS_TEST_BROKER": broker.url,
            "CELERY_BROKER_URL": broker.url,
            "FLUENT_WEBHOOKS_TEST_SETTINGS": json.dumps(worker_settings),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path_factory.mktemp("worker-metrics")),
        },
        tmp_path_factory.mktemp("worker") / "worker.log",
    )
    worker.start()
    yield worker
    worker.stop()
    use_broker(app, "memory://")


@pytest.fixture
def live(celery_worker, transactional_db, settings, worker_settings) -> CeleryWorker:
    """For tests that deliver through the worker: committed data, the worker's settings."""
    settings.FLUENT_WEBHOOKS = worker_settings
    return celery_worker


# --- The admin in headless Chromium (Debian's package, driven by Playwright) ---

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        skip_or_fail("Chromium is not installed (Debian package 'chromium')")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, live_server, admin_user, loopback_allowed):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1600, "height": 1000}
    )
    page = context.new_page()
    page.goto("/admin/login/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    yield page
    context.close()
