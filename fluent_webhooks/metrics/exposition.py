"""The text Prometheus scrapes: the worker's counters and the backlog gauges, together.

With ``PROMETHEUS_MULTIPROC_DIR`` set (a prefork Celery worker: each pool process writes its
counts there) the counters of every process that wrote to that directory are merged, so any
process may serve them; without it, this process's own metrics are served.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import close_old_connections
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from .collector import BacklogCollector

CONTENT_TYPE = CONTENT_TYPE_LATEST


class _Exposed(Collector):
    def collect(self) -> Iterator[Metric]:
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if directory:
            merged = MultiProcessCollector(None, path=directory)  # type: ignore[no-untyped-call]
            yield from merged.collect()  # type: ignore[no-untyped-call]
        else:
            yield from REGISTRY.collect()
        yield from BacklogCollector().collect()


def exposition() -> bytes:
    """The metrics in Prometheus's text format."""
    return generate_latest(_Exposed())


def wsgi_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """A WSGI application that serves ``exposition()`` on every path, for ``metrics-server``."""
    close_old_connections()  # a connection the database dropped since the last scrape
    try:
        body = exposition()
    finally:
        close_old_connections()
    start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))])
    return [body]
