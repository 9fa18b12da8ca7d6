from __future__ import annotations

import hashlib
import hmac

from fluent_webhooks.signatures.fluent import sign, verify

SECRET = "whsec_dGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQtMTIzNA=="


def test_signature_is_hex_hmac_sha256_keyed_by_the_whole_secret_string():
    body = b'{"event":"feed.created"}'
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sign(body, SECRET) == f"sha256={expected}"


def test_verify_accepts_only_the_right_signature():
    body = b'{"a":1}'
    assert verify(body, sign(body, SECRET), SECRET)
    assert not verify(body + b" ", sign(body, SECRET), SECRET)
    assert not verify(body, sign(body, SECRET + "x"), SECRET)
    assert not verify(body, None, SECRET)
    assert not verify(body, "sha256=", SECRET)
