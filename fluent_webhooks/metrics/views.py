"""``metrics``: the Prometheus endpoint a site mounts where its Prometheus can reach it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from . import AVAILABLE, NOT_INSTALLED


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The worker's counters (merged from ``PROMETHEUS_MULTIPROC_DIR`` when set) and the
    backlog gauges; 503 when ``prometheus_client`` is not installed."""
    if not AVAILABLE:
        return HttpResponse(NOT_INSTALLED, status=503, content_type="text/plain; charset=utf-8")
    from .exposition import CONTENT_TYPE, exposition

    return HttpResponse(exposition(), content_type=CONTENT_TYPE)
