"""The ``FLUENT_WEBHOOKS`` setting, one typed property per key, read at call time.

Reading ``django.conf.settings`` on every access keeps ``override_settings`` working in tests
and lets a site change a value without re-importing anything. ``checks.py`` validates the values.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from . import __version__

DEFAULTS: dict[str, Any] = {
    # Webhook URLs must be https:// (the spec's rule); false also admits http:// (demos, tests).
    "REQUIRE_HTTPS": True,
    # CIDRs that may receive webhooks although they are not public (loopback, private, ...).
    "ALLOWED_NETWORKS": [],
    # A CA bundle file to trust for deliveries; None uses the system's (certifi) bundle.
    "CA_BUNDLE": None,
    # Seconds to wait for a TCP/TLS connection, for each read, and for a whole attempt.
    "CONNECT_TIMEOUT": 5.0,
    "READ_TIMEOUT": 10.0,
    "ATTEMPT_DEADLINE": 30.0,
    # Deliveries one task sends side by side, and the threads per worker process that send them.
    "DELIVERY_BATCH": 50,
    "SEND_CONCURRENCY": 16,
    # Batches to one webhook sent at once; keep it below the worker's concurrency (Celery's
    # default is the number of cores), so that a slow receiver never holds every process.
    "MAX_BATCHES_PER_WEBHOOK": 1,
    # Bytes of a receiver's response body that are read and kept; the rest is discarded.
    "RESPONSE_BODY_LIMIT": 4096,
    # Seconds before retry 1, 2, ...; the last repeats. None: a webhook's retries are spread
    # over about 27 hours whatever its retry_count (``decide.default_retry_schedule``). Each
    # wait gets up to +JITTER of itself.
    "RETRY_SCHEDULE": None,
    "RETRY_JITTER": 0.2,
    # The longest Retry-After (429/503) that is honoured, in seconds.
    "RETRY_AFTER_MAX": 3600,
    # A webhook all of whose attempts failed for DISABLE_AFTER (seconds, or a timedelta), and
    # at least DISABLE_AFTER_FAILURES of them, is set inactive, with notice; one warning goes
    # out after WARN_AFTER of failures. None turns either off.
    "DISABLE_AFTER": timedelta(days=5),
    "DISABLE_AFTER_FAILURES": 10,
    "WARN_AFTER": timedelta(days=1),
    # Days that delivery records are kept before `prune` removes them.
    "RETENTION_DAYS": 30,
    # Seconds after which work handed to the broker and not started, or claimed by a worker
    # that stopped renewing its claim (it renews every third of this), is handed out again.
    "STUCK_AFTER": 15,
    # Dotted path of ``callable(user) -> dict | None`` building the payload's ``xprofile``.
    "XPROFILE_BUILDER": "fluent_webhooks.events.xprofile.default_xprofile",
    # Dotted paths of the DRF authentication classes of the API views.
    "API_AUTHENTICATION_CLASSES": [
        "fluent_webhooks.api.authentication.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "fluent_webhooks.api.authentication.BearerTokenAuthentication",
    ],
    "USER_AGENT": f"fluent-webhooks/{__version__}",
    # Test sends per user through the API (each is an outbound request); None: no limit.
    "TEST_SEND_RATE": "30/min",
    # The most deliveries one replay may re-send; a larger replay is refused, saying how many.
    "REPLAY_MAX": 10_000,
    # The site's name and absolute base URL, for Slack and Discord messages ("Test message
    # from <name>", links to the objects events are about).
    "SITE_NAME": None,
    "SITE_URL": None,
    # Dotted path of ``callable(event_name, data) -> URL | None``: where a message links to
    # (a path is joined to SITE_URL); None: messages carry no link.
    "OBJECT_LINK": None,
    # {"host:port": "other-host:port"}: connect there instead, as curl's --connect-to does (TLS
    # still checks the original host name, and the address guard the new address). For
    # tests and staging against receivers on this machine.
    "CONNECT_TO": {},
    # Fernet keys (Fernet.generate_key()) for secrets and custom header values at rest: the
    # first encrypts, all decrypt. Put a new key first, run `manage.py webhooks reencrypt`,
    # then drop the old one.
    "ENCRYPTION_KEYS": [],
}


class WebhookSettings:
    """Typed, live view of ``settings.FLUENT_WEBHOOKS`` with defaults."""

    def _get(self, key: str) -> Any:
        configured = getattr(settings, "FLUENT_WEBHOOKS", None) or {}
        return configured.get(key, DEFAULTS[key])

    @property
    def require_https(self) -> bool:
        return bool(self._get("REQUIRE_HTTPS"))

    @property
    def allowed_networks(self) -> tuple[str, ...]:
        return tuple(self._get("ALLOWED_NETWORKS"))

    @property
    def ca_bundle(self) -> str | None:
        return self._get("CA_BUNDLE") or None

    @property
    def connect_timeout(self) -> float:
        return float(self._get("CONNECT_TIMEOUT"))

    @property
    def read_timeout(self) -> float:
        return float(self._get("READ_TIMEOUT"))

    @property
    def attempt_deadline(self) -> float:
        return float(self._get("ATTEMPT_DEADLINE"))

    @property
    def delivery_batch(self) -> int:
        return int(self._get("DELIVERY_BATCH"))

    @property
    def max_batches_per_webhook(self) -> int:
        return int(self._get("MAX_BATCHES_PER_WEBHOOK"))

    @property
    def send_concurrency(self) -> int:
        return int(self._get("SEND_CONCURRENCY"))

    @property
    def response_body_limit(self) -> int:
        return int(self._get("RESPONSE_BODY_LIMIT"))

    @property
    def retry_schedule(self) -> tuple[float, ...] | None:
        schedule = self._get("RETRY_SCHEDULE")
        return None if schedule is None else tuple(float(seconds) for seconds in schedule)

    @property
    def retry_jitter(self) -> float:
        return float(self._get("RETRY_JITTER"))

    @property
    def retry_after_max(self) -> float:
        return float(self._get("RETRY_AFTER_MAX"))

    @property
    def disable_after(self) -> timedelta | None:
        return _duration(self._get("DISABLE_AFTER"))

    @property
    def disable_after_failures(self) -> int:
        return int(self._get("DISABLE_AFTER_FAILURES"))

    @property
    def warn_after(self) -> timedelta | None:
        return _duration(self._get("WARN_AFTER"))

    @property
    def retention_days(self) -> int:
        return int(self._get("RETENTION_DAYS"))

    @property
    def stuck_after(self) -> float:
        return float(self._get("STUCK_AFTER"))

    @property
    def xprofile_builder(self) -> str:
        return str(self._get("XPROFILE_BUILDER"))

    @property
    def api_authentication_classes(self) -> tuple[str, ...]:
        return tuple(self._get("API_AUTHENTICATION_CLASSES"))

    @property
    def test_send_rate(self) -> str | None:
        rate = self._get("TEST_SEND_RATE")
        return str(rate) if rate else None

    @property
    def replay_max(self) -> int:
        return int(self._get("REPLAY_MAX"))

    @property
    def user_agent(self) -> str:
        return str(self._get("USER_AGENT"))

    @property
    def site_url(self) -> str | None:
        return self._get("SITE_URL") or None

    @property
    def site_name(self) -> str:
        """SITE_NAME, else SITE_URL's host, else a neutral word."""
        name = self._get("SITE_NAME")
        if name:
            return str(name)
        return urlsplit(self.site_url or "").hostname or "the community"

    @property
    def object_link(self) -> str | None:
        return self._get("OBJECT_LINK") or None

    @property
    def connect_to(self) -> dict[str, str]:
        return {str(k).lower(): str(v) for k, v in dict(self._get("CONNECT_TO") or {}).items()}

    @property
    def encryption_keys(self) -> tuple[str, ...]:
        keys = self._get("ENCRYPTION_KEYS") or ()
        return tuple(key.decode() if isinstance(key, bytes) else str(key) for key in keys)


def _duration(value: timedelta | float | None) -> timedelta | None:
    """A duration given as a timedelta or as seconds."""
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=float(value))


conf = WebhookSettings()
