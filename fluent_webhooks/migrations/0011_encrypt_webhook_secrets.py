"""Webhook secrets and custom headers encrypted at rest, and the previous secrets of a rotation.

The columns become text and the existing rows are encrypted in place with raw SQL (the
fields themselves would try to decrypt the plain values). Reversing decrypts them first.
"""

import json

from django.db import migrations

import fluent_webhooks.encryption
import fluent_webhooks.secret_keys


def _rewrite(apps, schema_editor, secret_of, headers_of):
    connection = schema_editor.connection
    table = connection.ops.quote_name(apps.get_model("fluent_webhooks", "Webhook")._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, secret, headers FROM {table}")  # noqa: S608
        rows = cursor.fetchall()
        for pk, secret, headers in rows:
            cursor.execute(
                f"UPDATE {table} SET secret = %s, headers = %s WHERE id = %s",  # noqa: S608
                [secret_of(secret), headers_of(headers), pk],
            )


def encrypt_rows(apps, schema_editor):
    encrypt = fluent_webhooks.encryption.encrypt

    def headers_of(value):
        # The column was JSON: its text, whatever form the driver returned it in.
        text = value if isinstance(value, str) else json.dumps(value)
        return encrypt(json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":")))

    _rewrite(apps, schema_editor, encrypt, headers_of)


def decrypt_rows(apps, schema_editor):
    decrypt = fluent_webhooks.encryption.decrypt
    _rewrite(apps, schema_editor, decrypt, decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("fluent_webhooks", "0010_subscription_periods"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhook",
            name="previous_secrets",
            field=fluent_webhooks.encryption.EncryptedJSONField(
                blank=True, default=list, editable=False, verbose_name="previous secrets"
            ),
        ),
        migrations.AlterField(
            model_name="webhook",
            name="headers",
            field=fluent_webhooks.encryption.EncryptedJSONField(
                blank=True, default=dict, verbose_name="custom headers"
            ),
        ),
        migrations.AlterField(
            model_name="webhook",
            name="secret",
            field=fluent_webhooks.encryption.EncryptedTextField(
                default=fluent_webhooks.secret_keys.generate_secret, verbose_name="secret"
            ),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
    ]
