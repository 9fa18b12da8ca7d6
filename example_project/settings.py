"""Settings of the example community site, read from the environment with django-environ.

Every variable is documented in ``.env.example``.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import django
import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# With no environment this is the demo: DEBUG on and a key that only DEBUG may use. Anything
# production-like (DJANGO_DEBUG=false) must bring its own key, or it does not start.
DEBUG = env.bool("DJANGO_DEBUG", default=True)
DEMO_SECRET_KEY = "insecure-demo-key-for-debug-only"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or (DEMO_SECRET_KEY if DEBUG else "")
if not DEBUG and SECRET_KEY in ("", DEMO_SECRET_KEY, "insecure-example-key-change-me"):
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is false, so set DJANGO_SECRET_KEY to a long random value of your own, "
        'e.g. python -c "import secrets; print(secrets.token_urlsafe(50))".'
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
if not DEBUG:
    # What `manage.py check --deploy` asks of a site served over HTTPS.
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "fluent_webhooks",
    "example_project.community",
    "example_project.inspector",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Keep connections open between requests and tasks: a Celery worker otherwise opens a new
# PostgreSQL connection for every task, which costs more than the delivery itself. In the
# worker this takes CELERY_DB_REUSE_MAX as well (below): Celery closes them around every task.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's web server, worker and beat write at once: wait for the lock, don't fail.
    # IMMEDIATE takes the write lock when a transaction starts, so two transactions that read
    # and then write queue up instead of failing at once with "database is locked".
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["timeout"] = 30
    if django.VERSION >= (5, 1):
        _options["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True
STATIC_URL = "static/"

# Celery: a Redis broker in production; with no CELERY_BROKER_URL, kombu's filesystem
# transport, which needs no server, so a fresh machine can run the demo.
BROKER_DIR = Path(
    env.str("CELERY_BROKER_DIR", default=str(BASE_DIR / "example_project" / ".broker"))
)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    for folder in ("queue", "processed", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
# At-least-once delivery: a task is acknowledged only once it has finished, a task whose
# worker died is put back on the queue, and a worker holds one message per process at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes every database connection before and after each task unless
# this is set; a new PostgreSQL connection per task cost more than the deliveries it carried.
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE = {
    # Hands out what the database says is owed: due retries, and anything a broker outage
    # or a dead worker left behind.
    "fluent-webhooks-sweep": {
        "task": "fluent_webhooks.sweep",
        "schedule": env.float("WEBHOOKS_SWEEP_INTERVAL", default=10.0),
    },
    "fluent-webhooks-prune": {"task": "fluent_webhooks.prune", "schedule": 6 * 3600.0},
}

# Keys that encrypt webhook secrets and custom headers in the database (first encrypts, all
# decrypt). The demo derives one from its SECRET_KEY so every process (web, worker, beat, the
# tests' worker) agrees without a file; the demo SECRET_KEY is public, so that key protects
# nothing, and with DJANGO_DEBUG=false there is no default: the check fluent_webhooks.E018
# stops the site until FLUENT_WEBHOOKS_ENCRYPTION_KEYS is set.
WEBHOOKS_ENCRYPTION_KEYS = env.list("FLUENT_WEBHOOKS_ENCRYPTION_KEYS", default=[]) or (
    [
        base64.urlsafe_b64encode(
            hashlib.sha256(b"fluent-webhooks demo encryption key:" + SECRET_KEY.encode()).digest()
        ).decode("ascii")
    ]
    if DEBUG
    else []
)

# The app's notices of failing and disabled webhooks are printed, not sent, in the demo.
EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)

FLUENT_WEBHOOKS = {
    # The community's profiles describe who caused each event.
    "XPROFILE_BUILDER": "example_project.community.payloads.xprofile",
    # Slack and Discord messages name the site and link to the object's page.
    "SITE_NAME": env.str("WEBHOOKS_SITE_NAME", default="Example Community"),
    "SITE_URL": env.str("WEBHOOKS_SITE_URL", default="http://127.0.0.1:8000"),
    "OBJECT_LINK": "example_project.community.links.object_link",
    "REQUIRE_HTTPS": env.bool("WEBHOOKS_REQUIRE_HTTPS", default=True),
    "ALLOWED_NETWORKS": env.list("WEBHOOKS_ALLOWED_NETWORKS", default=[]),
    "CA_BUNDLE": env.str("WEBHOOKS_CA_BUNDLE", default="") or None,
    "ENCRYPTION_KEYS": WEBHOOKS_ENCRYPTION_KEYS,
    # Unset: each webhook's retries are spread over about 27 hours (the app's default).
    "RETRY_SCHEDULE": [
        float(seconds) for seconds in env.list("WEBHOOKS_RETRY_SCHEDULE", default=[])
    ]
    or None,
}
