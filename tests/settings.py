"""Test settings: the example project's, with fast password hashing.

``DATABASE_URL`` picks the database (CI: PostgreSQL); without it, SQLite.
"""

from example_project.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
FLUENT_WEBHOOKS = {"REQUIRE_HTTPS": True, "ALLOWED_NETWORKS": []}
