from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from fluent_webhooks.checks import check_settings


def ids(settings_value, settings) -> list[str]:
    settings.FLUENT_WEBHOOKS = settings_value
    return [message.id for message in check_settings()]


def test_defaults_pass(settings):
    assert ids({}, settings) == []


@pytest.mark.parametrize(
    "value",
    [
        {"DISABLE_AFTER": None, "WARN_AFTER": None},  # both turned off
        {"DISABLE_AFTER": 7 * 86400, "WARN_AFTER": 3600},  # seconds
        {"DISABLE_AFTER": timedelta(days=3), "WARN_AFTER": None},
        {"RETRY_SCHEDULE": [60, 600]},
        {"RETRY_SCHEDULE": None},  # the 27 h spread
    ],
)
def test_auto_disable_and_retry_settings_in_every_documented_form_pass(settings, value):
    assert ids(value, settings) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("not a dict", "fluent_webhooks.E001"),
        ({"NO_SUCH_KEY": 1}, "fluent_webhooks.E002"),
        ({"ALLOWED_NETWORKS": ["10.0.0.0/33"]}, "fluent_webhooks.E003"),
        ({"ALLOWED_NETWORKS": "10.0.0.0/8"}, "fluent_webhooks.E003"),
        ({"CONNECT_TIMEOUT": 0}, "fluent_webhooks.E004"),
        ({"READ_TIMEOUT": "10"}, "fluent_webhooks.E004"),
        ({"ATTEMPT_DEADLINE": 1, "CONNECT_TIMEOUT": 5}, "fluent_webhooks.E010"),
        ({"STUCK_AFTER": 2}, "fluent_webhooks.E011"),
        ({"RETRY_SCHEDULE": []}, "fluent_webhooks.E005"),
        ({"RETRY_SCHEDULE": [10, -1]}, "fluent_webhooks.E005"),
        ({"RETRY_JITTER": 2}, "fluent_webhooks.E012"),
        ({"CA_BUNDLE": "/no/such/ca.pem"}, "fluent_webhooks.E006"),
        ({"XPROFILE_BUILDER": "no.such.builder"}, "fluent_webhooks.E007"),
        ({"API_AUTHENTICATION_CLASSES": ["no.such.Auth"]}, "fluent_webhooks.E007"),
        ({"RETENTION_DAYS": 0}, "fluent_webhooks.E008"),
        ({"RESPONSE_BODY_LIMIT": -1}, "fluent_webhooks.E013"),
        ({"DELIVERY_BATCH": 0}, "fluent_webhooks.E014"),
        ({"TEST_SEND_RATE": "often"}, "fluent_webhooks.E015"),
        ({"SEND_CONCURRENCY": "16"}, "fluent_webhooks.E014"),
        ({"REPLAY_MAX": 0}, "fluent_webhooks.E014"),
        ({"REQUIRE_HTTPS": "yes"}, "fluent_webhooks.E009"),
        ({"OBJECT_LINK": "no.such.link"}, "fluent_webhooks.E007"),
        ({"SITE_URL": "community.example.com"}, "fluent_webhooks.E016"),
        ({"CONNECT_TO": {"hooks.slack.com": "127.0.0.1:8443"}}, "fluent_webhooks.E017"),
        ({"CONNECT_TO": ["hooks.slack.com:443"]}, "fluent_webhooks.E017"),
        ({"ENCRYPTION_KEYS": []}, "fluent_webhooks.E018"),  # DEBUG is off in tests
        ({"ENCRYPTION_KEYS": Fernet.generate_key().decode()}, "fluent_webhooks.E019"),
        ({"ENCRYPTION_KEYS": ["not-a-fernet-key"]}, "fluent_webhooks.E019"),
        ({"ENCRYPTION_KEYS": [Fernet.generate_key().decode(), 42]}, "fluent_webhooks.E019"),
        ({"DISABLE_AFTER": "5 days"}, "fluent_webhooks.E020"),
        ({"DISABLE_AFTER": timedelta(days=-1)}, "fluent_webhooks.E020"),
        ({"WARN_AFTER": 0}, "fluent_webhooks.E020"),
        ({"WARN_AFTER": float("inf")}, "fluent_webhooks.E020"),
        ({"WARN_AFTER": True}, "fluent_webhooks.E020"),
        ({"WARN_AFTER": timedelta(days=5)}, "fluent_webhooks.E021"),
        ({"WARN_AFTER": 3600, "DISABLE_AFTER": 1800}, "fluent_webhooks.E021"),
        ({"DISABLE_AFTER_FAILURES": 0}, "fluent_webhooks.E022"),
        ({"DISABLE_AFTER_FAILURES": 2.5}, "fluent_webhooks.E022"),
    ],
)
def test_misconfiguration_is_reported_with_its_id(settings, value, expected):
    assert ids(value, settings) == [expected]


def test_no_encryption_key_is_only_a_warning_with_debug_on(settings):
    settings.DEBUG = True
    assert ids({"ENCRYPTION_KEYS": []}, settings) == ["fluent_webhooks.W001"]


def test_checks_run_through_manage_py_check(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.FLUENT_WEBHOOKS = {"RETENTION_DAYS": 0}
    with pytest.raises(SystemCheckError, match=r"fluent_webhooks\.E008"):
        call_command("check")
