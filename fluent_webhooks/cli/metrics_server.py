"""``webhooks metrics-server``: serve the Prometheus metrics of a Celery worker's host."""

from __future__ import annotations

import contextlib
import os
import sys
from argparse import ArgumentParser, ArgumentTypeError
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from fluent_webhooks import metrics

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand

HELP = (
    "Serve the metrics (the worker's counters from PROMETHEUS_MULTIPROC_DIR and the backlog "
    "gauges) over HTTP until stopped."
)
DEFAULT_PORT = 9808


class _QuietHandler(WSGIRequestHandler):
    timeout = 10  # seconds: a client that stalls cannot hold the one thread for long

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a scrape every 15 s is not news


class _Server(WSGIServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client that stalled or went away
            super().handle_error(request, client_address)


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0: any free port"
    )
    parser.add_argument(
        "--addr", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )


def run(command: BaseCommand, options: dict[str, Any]) -> int:
    if not metrics.AVAILABLE:
        command.stderr.write(metrics.NOT_INSTALLED)
        return 1
    from fluent_webhooks.metrics.exposition import wsgi_app

    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        command.stderr.write(
            "PROMETHEUS_MULTIPROC_DIR is not set: only the backlog gauges can be served, "
            "none of the worker's counters (set it to the worker's directory)."
        )
    elif not os.path.isdir(directory):
        command.stderr.write(f"PROMETHEUS_MULTIPROC_DIR is not a directory: {directory}")
        return 1
    try:
        # One thread: scrapes are rare, and the collector's database connection stays this one.
        server = make_server(
            options["addr"],
            options["port"],
            wsgi_app,
            server_class=_Server,
            handler_class=_QuietHandler,
        )
    except OSError as error:  # the port is taken, the address is not this host's
        command.stderr.write(f"Cannot listen on {options['addr']}:{options['port']}: {error}")
        return 1
    with server:
        command.stdout.write(
            f"Serving metrics on http://{options['addr']}:{server.server_port}/metrics"
        )
        command.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return int(text)
