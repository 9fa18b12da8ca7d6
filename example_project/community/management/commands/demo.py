"""Run the whole flow on one machine: web server, Celery worker and beat, activity, inspector.

The servers write to log files under ``demo-logs/``, so that the terminal keeps what a person
needs: the activity, then the addresses to open, printed last and again on Enter.
"""

from __future__ import annotations

import io
import os
import select
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from example_project.inspector.models import Inbox
from fluent_webhooks.models import Delivery, Event, Webhook

# The demo delivers to its own inspector on loopback over plain http, which production refuses.
DEMO_ENVIRONMENT = {
    "WEBHOOKS_REQUIRE_HTTPS": "false",
    "WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8",
    "WEBHOOKS_RETRY_SCHEDULE": "2,5,15",
    "WEBHOOKS_SWEEP_INTERVAL": "2",
}
# Inspector inboxes the demo delivers to: the documented payload, and what Slack and Discord
# would receive (the same events as those services' messages).
DEMO_WEBHOOKS = {
    "Demo inspector": Webhook.Format.FLUENT,
    "Demo Slack": Webhook.Format.SLACK,
    "Demo Discord": Webhook.Format.DISCORD,
}
API_PATH = "/wp-json/fluent-community/v2/admin/webhooks"


# How long an interactive demo waits for the activity's deliveries before it shows the addresses
# anyway; the inspector shows late ones as they arrive.
INTERACTIVE_WAIT = 30.0
LOG_TAIL = 2000  # characters of a stopped server's log shown in the error


@dataclass
class DemoProcess:
    """One server the demo started, and the file its output goes to."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def failure(self) -> str:
        tail = self.log.read_text(errors="replace")[-LOG_TAIL:]
        return f"The {self.name} stopped; the end of {_shown(self.log)}:\n{tail}"


class Command(BaseCommand):
    help = "Start the example site with a worker and beat, simulate activity, watch it arrive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--count", type=int, default=48, help="Activity steps to simulate.")
        parser.add_argument(
            "--log-dir",
            type=Path,
            default=settings.BASE_DIR / "demo-logs",
            help="Where the web server, the worker and beat write their logs.",
        )
        parser.add_argument(
            "--exit-when-delivered",
            action="store_true",
            help="Stop once every emitted event is delivered (for tests), instead of running on.",
        )
        parser.add_argument("--timeout", type=float, default=120.0)

    def handle(self, *args: Any, port: int, count: int, log_dir: Path, **options: Any) -> None:
        # Piped (make demo | tee demo.log, CI), each line still shows when it is written.
        if isinstance(sys.stdout, io.TextIOWrapper):
            sys.stdout.reconfigure(line_buffering=True)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("create_demo_admin", stdout=io.StringIO())  # the banner gives the login
        inboxes = {name: self.demo_inbox(name, fmt, port) for name, fmt in DEMO_WEBHOOKS.items()}
        base = f"http://127.0.0.1:{port}"
        urls = {name: f"{base}/inspector/{inbox.token}/" for name, inbox in inboxes.items()}
        processes = self.start_processes(port, log_dir)
        interactive = sys.stdin.isatty()
        banner = self.banner(base, urls, processes, interactive)
        # Ctrl-C, a plain kill and a closed terminal stop the demo cleanly, even where a shell
        # started it with SIGINT ignored.
        for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(stop_signal, _raise_keyboard_interrupt)
        try:
            self.stdout.write(
                "Started the web server, a Celery worker and beat; their logs go to "
                f"{_shown(log_dir)}/."
            )
            self.wait_for_web(urls["Demo inspector"], processes)
            first_event = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            self.stdout.write(f"Simulating {count} steps of community activity...")
            call_command("simulate_activity", count=count, verbosity=0, stdout=self.stdout)
            exit_when_delivered = options["exit_when_delivered"]
            timeout = options["timeout"] if exit_when_delivered else INTERACTIVE_WAIT
            self.stdout.write("Waiting for the deliveries...")
            if self.wait_until_delivered(first_event, timeout, processes):
                self.stdout.write("Every emitted event has been delivered.")
            elif exit_when_delivered:
                raise CommandError(f"Deliveries were still owed after {timeout:g} s.")
            else:
                self.stdout.write("Some deliveries are still on their way.")
            self.stdout.write(banner)
            if not exit_when_delivered:
                self.run_until_stopped(banner, processes, interactive)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the demo...")
        finally:
            stop([demo.process for demo in processes])

    def banner(
        self, base: str, urls: dict[str, str], processes: list[DemoProcess], interactive: bool
    ) -> str:
        logs = ", ".join(_shown(demo.log) for demo in processes)
        stop_hint = (
            "Press Enter to show this again, Ctrl-C to stop every process the demo started."
            if interactive
            else "Ctrl-C stops every process the demo started."
        )
        return self.style.SUCCESS(
            "\nThe demo is running. Deliveries arrive within seconds:\n"
            f"  Inspector:  {urls['Demo inspector']}\n"
            f"  As Slack:   {urls['Demo Slack']}\n"
            f"  As Discord: {urls['Demo Discord']}\n"
            f"  Admin:      {base}/admin/  (admin / admin)\n"
            f"  API:        curl -u admin:admin {base}{API_PATH}\n"
            f"  Logs:       {logs}\n"
            f"{stop_hint}"
        )

    def run_until_stopped(
        self, banner: str, processes: list[DemoProcess], interactive: bool
    ) -> None:
        """Run until a server stops or Ctrl-C; in a terminal, Enter shows the banner again."""
        while True:
            for demo in processes:
                if demo.process.poll() is not None:
                    raise CommandError(demo.failure())
            if not interactive:
                time.sleep(0.5)
                continue
            readable, _, _ = select.select([sys.stdin], [], [], 0.5)
            if readable:
                if not sys.stdin.readline():  # Ctrl-D: nothing more to read
                    interactive = False
                    continue
                self.stdout.write(banner)

    def demo_inbox(self, name: str, webhook_format: str, port: int) -> Inbox:
        """A webhook subscribed to every event, in ``webhook_format``, pointing at an inbox."""
        webhook = Webhook.objects.filter(name=name).first() or Webhook(name=name)
        inbox = Inbox.objects.filter(webhook=webhook).first() if webhook.pk else None
        webhook.events, webhook.status = ["*"], Webhook.Status.ACTIVE
        webhook.format, webhook.format_auto = webhook_format, False
        webhook.save()
        inbox = inbox or Inbox.objects.create(webhook=webhook)
        webhook.url = f"http://127.0.0.1:{port}/inspector/{inbox.token}/"
        webhook.save(update_fields=["url"])
        return inbox

    def start_processes(self, port: int, log_dir: Path) -> list[DemoProcess]:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
        for name, value in DEMO_ENVIRONMENT.items():
            env.setdefault(name, value)
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        celery = [sys.executable, "-m", "celery", "-A", "example_project"]
        schedule = str(settings.BROKER_DIR / "beat-schedule")
        commands = {
            "web server": ("web", [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"]),
            "worker": (
                "worker",
                [
                    *celery,
                    "worker",
                    "-l",
                    "warning",
                    "--concurrency",
                    "4",
                    "--without-mingle",
                    "--without-gossip",
                ],
            ),
            "beat": ("beat", [*celery, "beat", "-l", "warning", "--schedule", schedule]),
        }
        log_dir.mkdir(parents=True, exist_ok=True)
        processes = []
        for name, (file_name, command) in commands.items():
            log = log_dir / f"{file_name}.log"
            with log.open("wb") as output:  # each run's logs start empty
                process = subprocess.Popen(
                    command,
                    env=env,
                    cwd=settings.BASE_DIR,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            processes.append(DemoProcess(name, process, log))
        return processes

    def wait_for_web(self, url: str, processes: list[DemoProcess]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for demo in processes:
                if demo.process.poll() is not None:
                    raise CommandError(demo.failure())
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise CommandError(f"The web server did not answer at {url}.")

    def wait_until_delivered(
        self, first_event: int, timeout: float, processes: list[DemoProcess]
    ) -> bool:
        """Whether every event after ``first_event`` was delivered within ``timeout``."""
        deadline = time.monotonic() + timeout
        events = Event.objects.filter(pk__gt=first_event)
        while time.monotonic() < deadline:
            unfinished = Delivery.objects.filter(event__in=events).filter(
                Q(status=Delivery.Status.PENDING) | Q(status=Delivery.Status.SENDING)
            )
            if not events.filter(fanned_out_at__isnull=True).exists() and not unfinished.exists():
                return True
            for demo in processes:
                if demo.process.poll() is not None:
                    raise CommandError(demo.failure())
            time.sleep(0.5)
        return False


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _raise_keyboard_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _shown(path: Path) -> str:
    """``path`` as a person would type it here: relative to the current folder if inside."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
