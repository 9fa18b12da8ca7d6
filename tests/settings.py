"""Test settings: the example project's, made hermetic.

``DATABASE_URL`` picks the database (CI: PostgreSQL); without it, SQLite. The app's settings
and the broker come from variables of the test suite's own, which the Celery worker process
started by the integration tests receives too, so both sides run with the same settings.
"""

import json
import os

from example_project.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
FLUENT_WEBHOOKS = {
    "XPROFILE_BUILDER": "example_project.community.payloads.xprofile",
    "REQUIRE_HTTPS": True,
    "ALLOWED_NETWORKS": [],
    "ENCRYPTION_KEYS": WEBHOOKS_ENCRYPTION_KEYS,  # noqa: F405 - the demo's, derived
    **json.loads(os.environ.get("FLUENT_WEBHOOKS_TEST_SETTINGS", "{}")),
}
# kombu's in-memory transport unless a test run hands us a real broker.
CELERY_BROKER_URL = os.environ.get("FLUENT_WEBHOOKS_TEST_BROKER", "memory://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
CELERY_BEAT_SCHEDULE: dict[str, object] = {}
