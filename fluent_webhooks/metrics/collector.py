"""The backlog gauges, read from the database when Prometheus scrapes (``backlog_report``).

Not counted by any process: what is owed is in the tables, whichever worker is up, so each
scrape asks them (a few aggregate queries on indexed columns).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from django.db import DatabaseError
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..backlog_report import Waiting, backlog

logger = logging.getLogger(__name__)


class BacklogCollector(Collector):
    def describe(self) -> list[Metric]:
        return []  # registering must not query the database

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "fluent_webhooks_backlog_up",
            "1 when the backlog gauges could be read from the database, else 0.",
        )
        try:
            report = backlog()
        except DatabaseError:
            logger.warning("Could not read the webhook backlog for metrics.", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        now = report.now
        yield from _waiting(
            "fluent_webhooks_events_owed",
            "Events whose fan-out no live broker message carries, and the oldest's age "
            "since it was created.",
            report.events_owed,
            now,
        )
        yield from _waiting(
            "fluent_webhooks_deliveries_owed",
            "Deliveries due and not handed out, and the oldest's age since it was due.",
            report.deliveries_owed,
            now,
        )
        yield from _waiting(
            "fluent_webhooks_claims_stuck",
            "Deliveries in sending whose claim lapsed, and the oldest's age since it lapsed.",
            report.claims_stuck,
            now,
        )
        unfinished = GaugeMetricFamily(
            "fluent_webhooks_deliveries_unfinished",
            "Deliveries pending or sending.",
            labels=["status"],
        )
        oldest = GaugeMetricFamily(
            "fluent_webhooks_deliveries_unfinished_oldest_age_seconds",
            "Age of the oldest delivery pending or sending, since it was created.",
            labels=["status"],
        )
        for status, waiting in (("pending", report.pending), ("sending", report.sending)):
            unfinished.add_metric([status], waiting.count)
            oldest.add_metric([status], waiting.age(now))
        yield unfinished
        yield oldest
        yield GaugeMetricFamily(
            "fluent_webhooks_webhooks_inactive",
            "Webhooks that are inactive, whoever switched them off.",
            value=report.webhooks_inactive,
        )
        yield GaugeMetricFamily(
            "fluent_webhooks_webhooks_disabled",
            "Webhooks the app disabled (inactive with a disabled_at).",
            value=report.webhooks_disabled,
        )


def _waiting(name: str, documentation: str, waiting: Waiting, now: datetime) -> Iterator[Metric]:
    """A count and the age of its oldest item, as two gauges."""
    yield GaugeMetricFamily(name, documentation, value=waiting.count)
    yield GaugeMetricFamily(
        f"{name}_oldest_age_seconds",
        f"{name}: age of the oldest, in seconds.",
        value=waiting.age(now),
    )
