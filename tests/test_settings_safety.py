"""The example project's settings: convenient for the demo, never silently insecure."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.services import ROOT


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "FLUENT_WEBHOOKS_TEST"))
    }
    environment.update(DJANGO_SETTINGS_MODULE="example_project.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("key", ["", "insecure-example-key-change-me"])
def test_production_settings_without_a_key_of_their_own_do_not_start(key):
    done = manage("check", DJANGO_DEBUG="false", DJANGO_SECRET_KEY=key)
    assert done.returncode != 0
    assert "set DJANGO_SECRET_KEY" in done.stderr


def test_the_production_settings_pass_check_deploy():
    done = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-long-random-key-of-our-own-" + "x" * 40,
        DJANGO_SECURE_HSTS_PRELOAD="true",
        FLUENT_WEBHOOKS_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_production_settings_without_an_encryption_key_do_not_pass_check():
    # The demo derives a key from its public SECRET_KEY; production gets no such default.
    done = manage(
        "check",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-long-random-key-of-our-own-" + "x" * 40,
        FLUENT_WEBHOOKS_ENCRYPTION_KEYS="",
    )
    assert done.returncode != 0
    assert "fluent_webhooks.E018" in done.stderr
