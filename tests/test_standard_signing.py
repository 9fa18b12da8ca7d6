"""The Standard Webhooks signature sent beside X-Fluent-Signature."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

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


def test_several_secrets_sign_one_header_newest_first_and_each_verifies():
    new, old, stranger = generate_secret(), generate_secret(), generate_secret()
    headers = standard_signing.headers("d-1", 1700000000, BODY, [new, old])
    assert headers["webhook-signature"] == " ".join(
        standard_signing.sign("d-1", 1700000000, BODY, secret) for secret in (new, old)
    )
    assert standard_signing.verify(BODY, headers, new, now=1700000000)
    assert standard_signing.verify(BODY, headers, old, now=1700000000)
    assert not standard_signing.verify(BODY, headers, stranger, now=1700000000)
    # Another sender's versions and garbage beside ours do not stop a match.
    noisy = {**headers, "webhook-signature": "v2,xyz ,,, " + headers["webhook-signature"]}
    assert standard_signing.verify(BODY, noisy, old, now=1700000000)


def test_a_secret_not_in_whsec_form_is_used_as_its_bytes():
    headers = standard_signing.headers("d-1", 1700000000, BODY, "my-own-secret-0123456789")
    assert standard_signing.verify(BODY, headers, "my-own-secret-0123456789", now=1700000000)


def _good(secret: str) -> dict[str, str]:
    return standard_signing.headers("d-1", 1700000000, BODY, secret)


@pytest.mark.parametrize(
    "timestamp",
    [
        "²",  # str.isdigit() says yes, int() says no
        "\uff11\uff17\uff10\uff10\uff10\uff10\uff10\uff10\uff10\uff10",  # full-width 1700000000
        "\u0661\u0667\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660",  # Arabic-Indic digits
        "1" * 5000,  # more digits than int() converts
        "9" * 21,
        "",
        " 1700000000",
        "1700000000 ",
        "+1700000000",
        "-1",
        "1.7e9",
        "1_700_000_000",
        "\ud800",
        None,
        1700000000,
        b"1700000000",
    ],
)
def test_verify_refuses_a_malformed_timestamp_without_raising(timestamp):
    secret = generate_secret()
    headers: dict[str, object] = {**_good(secret), "webhook-timestamp": timestamp}
    assert standard_signing.verify(BODY, headers, secret, now=1700000000) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
@pytest.mark.parametrize("value", [None, "", b"x", 1, ["v1,x"], "\ud800", "é" * 3])
def test_verify_refuses_missing_or_odd_headers_without_raising(name, value):
    secret = generate_secret()
    headers: dict[str, object] = {**_good(secret), name: value}
    assert standard_signing.verify(BODY, headers, secret, now=1700000000) is False  # type: ignore[arg-type]
    del headers[name]
    assert standard_signing.verify(BODY, headers, secret, now=1700000000) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "request_headers",
    [None, [], "webhook-id: d-1", {1: "x", None: "y"}, {b"webhook-id": b"d-1"}, object()],
)
def test_verify_refuses_headers_that_are_not_a_mapping_of_strings(request_headers):
    assert standard_signing.verify(BODY, request_headers, generate_secret()) is False


@pytest.mark.parametrize("secret", [None, b"whsec_abc", 12, "\ud800", "whsec_\ud800"])
def test_verify_refuses_a_secret_that_is_not_text_without_raising(secret):
    headers = _good(generate_secret())
    assert standard_signing.verify(BODY, headers, secret, now=1700000000) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("secret", ["whsec_!!!not base64!!!", "whsec_", "whsec_abc"])
def test_a_whsec_secret_with_bad_base64_is_used_as_its_bytes_and_never_raises(secret):
    headers = standard_signing.headers("d-1", 1700000000, BODY, secret)
    assert standard_signing.verify(BODY, headers, secret, now=1700000000) is True
    assert standard_signing.verify(BODY, headers, generate_secret(), now=1700000000) is False


@pytest.mark.parametrize("body", ["text, not bytes", None, 42])
def test_verify_refuses_a_body_that_is_not_bytes_without_raising(body):
    secret = generate_secret()
    assert standard_signing.verify(body, _good(secret), secret, now=1700000000) is False  # type: ignore[arg-type]


def test_verify_skips_odd_candidates_and_still_finds_the_good_one():
    secret = generate_secret()
    headers = _good(secret)
    signatures = f"v1,\ud800 v1,é v1, {headers['webhook-signature']}"
    assert standard_signing.verify(
        BODY, {**headers, "webhook-signature": signatures}, secret, now=1700000000
    )
    assert standard_signing.verify(BODY, headers, secret, now=1700000000)
    lowered_and_padded = {**headers, "webhook-timestamp": "001700000000"}
    assert standard_signing.verify(BODY, lowered_and_padded, secret, now=1700000000)
