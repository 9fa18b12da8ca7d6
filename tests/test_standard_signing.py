"""The Standard Webhooks signature sent beside X-Fluent-Signature."""

from __future__ import annotations

import base64
import hashlib
import hmac

from fluent_webhooks import standard_signing
from fluent_webhooks.secret_keys import generate_secret

BODY = b'{"event":"feed.created","data":{"id":1}}'


def test_signature_follows_the_standard():
    secret = generate_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, b"msg_1.1700000000." + BODY, hashlib.sha256).digest()
    assert standard_signing.sign("msg_1", 1700000000, BODY, secret) == (
        "v1," + base64.b64encode(expected).decode()
    )


def test_verify_accepts_fresh_signed_deliveries_only():
    secret = generate_secret()
    headers = standard_signing.headers("d-1", 1700000000, BODY, secret)
    assert standard_signing.verify(BODY, headers, secret, now=1700000010)
    assert not standard_signing.verify(BODY, headers, secret, now=1700000000 + 301)  # replayed
    assert not standard_signing.verify(BODY + b" ", headers, secret, now=1700000010)
    assert not standard_signing.verify(BODY, headers, generate_secret(), now=1700000010)
    tampered = {**headers, "webhook-id": "d-2"}
    assert not standard_signing.verify(BODY, tampered, secret, now=1700000010)


def test_a_secret_not_in_whsec_form_is_used_as_its_bytes():
    headers = standard_signing.headers("d-1", 1700000000, BODY, "my-own-secret-0123456789")
    assert standard_signing.verify(BODY, headers, "my-own-secret-0123456789", now=1700000000)
