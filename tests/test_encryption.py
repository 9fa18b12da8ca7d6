"""Secrets and custom header values at rest: encrypted in the table, plain to the code."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from fluent_webhooks.encryption import EncryptionKeyMissing, UndecryptableValue
from fluent_webhooks.models import Webhook
from fluent_webhooks.secret_keys import generate_secret

pytestmark = pytest.mark.django_db

HEADER_VALUE = "api-key-7f3a9c-never-in-clear"
TABLE = Webhook._meta.db_table


def raw_row(pk: int) -> tuple[str, str, str]:
    """What a database dump shows of the webhook: the columns as stored."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT secret, headers, previous_secrets FROM {TABLE} WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


def make_webhook() -> Webhook:
    return Webhook.objects.create(
        name="CRM",
        url="https://crm.example.com/hook",
        events=["feed.created"],
        headers={"X-API-Key": HEADER_VALUE},
    )


def use_keys(settings, *keys: str) -> None:
    settings.FLUENT_WEBHOOKS = {**settings.FLUENT_WEBHOOKS, "ENCRYPTION_KEYS": list(keys)}


def test_the_raw_columns_hold_no_secret_and_no_header_value(settings):
    key = Fernet.generate_key().decode()
    use_keys(settings, key)
    webhook = make_webhook()
    old, new = webhook.secret, generate_secret()
    expires_at = (timezone.now() + timedelta(hours=1)).isoformat()
    webhook.secret = new
    webhook.previous_secrets = [{"secret": old, "expires_at": expires_at}]  # as a rotation keeps
    webhook.save()
    stored = raw_row(webhook.pk)
    dump = " ".join(stored)
    for clear in (old, new, old.removeprefix("whsec_"), HEADER_VALUE, "X-API-Key"):
        assert clear not in dump
    # Each column is a Fernet token under the configured key, of exactly the plain value.
    secret, headers, previous = (Fernet(key).decrypt(column.encode()) for column in stored)
    assert secret.decode() == new
    assert json.loads(headers) == {"X-API-Key": HEADER_VALUE}
    assert json.loads(previous)[0]["secret"] == old
    # ... and the code reads plain values.
    webhook = Webhook.objects.get(pk=webhook.pk)
    assert webhook.headers == {"X-API-Key": HEADER_VALUE}
    assert (webhook.secret, webhook.previous_secrets[0]["secret"]) == (new, old)


def test_a_new_key_first_still_reads_the_old_rows_and_reencrypt_frees_the_old_key(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use_keys(settings, old_key)
    webhook = make_webhook()
    secret = webhook.secret

    use_keys(settings, new_key, old_key)
    assert Webhook.objects.get(pk=webhook.pk).secret == secret  # old rows still read
    out = StringIO()
    call_command("webhooks", "reencrypt", stdout=out)
    assert "Stored values by key: key 2: 3." in out.getvalue()
    assert "Re-encrypted 1 webhook(s)" in out.getvalue()
    assert "already under the first key" not in out.getvalue()
    assert all(Fernet(new_key).decrypt(column.encode()) for column in raw_row(webhook.pk))

    use_keys(settings, new_key)  # the old key removed
    reread = Webhook.objects.get(pk=webhook.pk)
    assert (reread.secret, reread.headers) == (secret, {"X-API-Key": HEADER_VALUE})


def test_filtering_on_an_encrypted_field_is_an_error_not_an_empty_result():
    webhook = make_webhook()
    with pytest.raises(FieldError, match="Unsupported lookup"):
        Webhook.objects.filter(secret=webhook.secret).exists()
    with pytest.raises(FieldError, match="Unsupported lookup"):
        Webhook.objects.filter(headers__contains=HEADER_VALUE).exists()
    assert Webhook.objects.filter(secret__isnull=False).count() == 1


def test_removing_a_key_too_early_is_a_clear_error_not_garbage(settings):
    use_keys(settings, Fernet.generate_key().decode())
    webhook = make_webhook()
    use_keys(settings, Fernet.generate_key().decode())
    with pytest.raises(UndecryptableValue, match="reencrypt"):
        Webhook.objects.get(pk=webhook.pk)


def test_without_a_key_nothing_is_stored_in_clear(settings):
    use_keys(settings)
    with pytest.raises(EncryptionKeyMissing, match="ENCRYPTION_KEYS"), transaction.atomic():
        make_webhook()
    assert not Webhook.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_rows_and_decrypts_them_on_reverse():
    before, after = (
        ("fluent_webhooks", "0010_subscription_periods"),
        ("fluent_webhooks", "0011_encrypt_webhook_secrets"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old_apps = executor.loader.project_state([before]).apps
        plain = old_apps.get_model("fluent_webhooks", "Webhook").objects.create(
            name="Old",
            url="https://old.example.com/hook",
            events=["*"],
            secret="whsec_plain-secret-from-before",
            headers={"X-API-Key": HEADER_VALUE},
        )
        executor = MigrationExecutor(connection)
        executor.migrate([after])
        secret, headers, _ = raw_row(plain.pk)
        assert "plain-secret" not in secret
        assert HEADER_VALUE not in headers
        webhook = Webhook.objects.get(pk=plain.pk)
        assert webhook.secret == "whsec_plain-secret-from-before"
        assert webhook.headers == {"X-API-Key": HEADER_VALUE}
        assert webhook.previous_secrets == []

        executor = MigrationExecutor(connection)
        executor.migrate([before])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT secret, headers FROM {TABLE} WHERE id = %s", [plain.pk])
            secret, headers = cursor.fetchone()
        assert secret == "whsec_plain-secret-from-before"
        headers = headers if isinstance(headers, dict) else json.loads(headers)
        assert headers == {"X-API-Key": HEADER_VALUE}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("fluent_webhooks"))


def test_reencrypt_warns_when_the_new_key_was_put_last(settings):
    """The keys in the wrong order (old first): nothing moves, and the command says so
    rather than report a success that removing the old key would then turn into loss."""
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    use_keys(settings, old_key)
    make_webhook()
    use_keys(settings, old_key, new_key)
    out = StringIO()
    call_command("webhooks", "reencrypt", stdout=out)
    assert "Stored values by key: key 1: 3." in out.getvalue()
    assert "put the new key FIRST" in out.getvalue()


def test_reencrypt_with_a_single_key_does_not_warn(settings):
    use_keys(settings, Fernet.generate_key().decode())
    make_webhook()
    out = StringIO()
    call_command("webhooks", "reencrypt", stdout=out)
    assert "Stored values by key: key 1: 3." in out.getvalue()
    assert "put the new key FIRST" not in out.getvalue()
