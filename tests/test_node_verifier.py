"""Signatures verify with the spec's own Node.js code, on the raw body and re-stringified."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fluent_webhooks.events.payloads import build_payload, serialize_payload
from fluent_webhooks.secret_keys import generate_secret
from fluent_webhooks.signatures.fluent import sign
from tests.conftest import skip_or_fail

VERIFIER = Path(__file__).parent / "node" / "verify.js"

PAYLOADS = {
    "ascii": {"id": 123, "title": "Welcome to our community!"},
    "non-ascii": {"title": "Café, naïve, Zürich, 東京, Привет"},
    "emoji": {"message": "Launch day 🚀🎉 👩‍👩‍👧"},
    "quotes and slashes": {"message": 'He said "hi" \\ and left </script> https://a/b?c=d&e'},
    "control characters": {"message": "line1\nline2\ttab\r\u0001\u2028"},
    "nested": {"feed": {"meta": {"tags": ["a", {"b": [1, 2, {"c": None}]}], "ok": True}}},
    "numbers": {"int": 45, "big": 2**53 - 1, "float": 0.1, "tiny": 1e-7, "whole": 3.0, "neg": -2.5},
    "integer-like keys": {"b": 1, "10": 2, "a": 3, "2": 4},
}


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        skip_or_fail("node is not installed")
    return path


@pytest.mark.parametrize("data", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_spec_verifier_accepts_raw_and_restringified_body(node, tmp_path, data):
    secret = generate_secret()
    xprofile = {"user_id": 45, "display_name": "Zoë 🦊", "meta": {"badge_slug": ["b1"]}}
    payload = build_payload(
        "feed.created", data, xprofile, datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    )
    body = serialize_payload(payload).encode("utf-8")
    body_file = tmp_path / "body.json"
    body_file.write_bytes(body)
    completed = subprocess.run(
        [node, str(VERIFIER), str(body_file), sign(body, secret), secret],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(completed.stdout) == {"raw": True, "restringified": True}


def test_spec_verifier_rejects_a_wrong_secret(node, tmp_path):
    body = serialize_payload({"event": "feed.created", "data": {}}).encode()
    body_file = tmp_path / "body.json"
    body_file.write_bytes(body)
    completed = subprocess.run(
        [node, str(VERIFIER), str(body_file), sign(body, "whsec_other"), "whsec_right"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(completed.stdout) == {"raw": False, "restringified": False}
