"""Prometheus metrics, when ``prometheus_client`` is installed (``fluent-webhooks[metrics]``).

This is the one place that asks whether it is. Without it the counting calls below do
nothing, ``views.metrics`` answers 503 naming what to install, and the rest of the app works
as before. With it, ``instruments`` holds the worker's counters and histograms, ``collector``
reads the backlog gauges from the database at scrape time, and ``exposition`` puts both
together, merged across the processes of a prefork worker when ``PROMETHEUS_MULTIPROC_DIR``
is set.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..delivery.decide import AttemptOutcome
    from ..delivery.send import Sent

try:
    import prometheus_client  # noqa: F401
except ImportError:  # the optional extra is not installed
    AVAILABLE = False
else:
    AVAILABLE = True

NOT_INSTALLED = (
    "Metrics need prometheus_client: pip install 'fluent-webhooks[metrics]' (or prometheus-client)."
)

logger = logging.getLogger(__name__)
_failed_once = False


def observe_attempts(
    sent: Sequence[Sent], outcomes: Sequence[AttemptOutcome], *, manual: bool = False
) -> None:
    """Count a group of attempts just recorded: one call per group, never per delivery.

    ``manual`` attempts (test sends, redeliveries) are counted, but say nothing of how long
    events take to arrive, so they stay out of the latency histogram.
    """
    if AVAILABLE:
        try:
            from . import instruments

            instruments.observe_attempts(sent, outcomes, manual=manual)
        except Exception:
            _report_failure()


def _report_failure() -> None:
    """Metrics never stop a delivery (a missing ``PROMETHEUS_MULTIPROC_DIR``, a full disk):
    the error is logged once per process and the work goes on."""
    global _failed_once
    if not _failed_once:
        _failed_once = True
        logger.exception("Could not count webhook metrics; delivery goes on without them.")
