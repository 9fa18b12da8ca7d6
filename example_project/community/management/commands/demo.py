"""Run the whole flow on one machine: web server, Celery worker and beat, activity, inspector."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
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


class Command(BaseCommand):
    help = "Start the example site with a worker and beat, simulate activity, watch it arrive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--count", type=int, default=48, help="Activity steps to simulate.")
        parser.add_argument(
            "--exit-when-delivered",
            action="store_true",
            help="Stop once every emitted event is delivered (for tests), instead of running on.",
        )
        parser.add_argument("--timeout", type=float, default=120.0)

    def handle(self, *args: Any, port: int, count: int, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("create_demo_admin")
        inboxes = {name: self.demo_inbox(name, fmt, port) for name, fmt in DEMO_WEBHOOKS.items()}
        base = f"http://127.0.0.1:{port}"
        urls = {name: f"{base}/inspector/{inbox.token}/" for name, inbox in inboxes.items()}
        inspector = urls["Demo inspector"]
        processes = self.start_processes(port)
        # Ctrl-C (and a plain kill) stop the demo cleanly, even where a shell started it with
        # SIGINT ignored.
        signal.signal(signal.SIGINT, _raise_keyboard_interrupt)
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        try:
            self.wait_for_web(inspector, processes)
            first_event = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            call_command("simulate_activity", count=count, stdout=self.stdout)
            self.stdout.write(
                self.style.SUCCESS(
                    "\nThe demo is running. Deliveries arrive within seconds:\n"
                    f"  Inspector:  {inspector}\n"
                    f"  As Slack:   {urls['Demo Slack']}\n"
                    f"  As Discord: {urls['Demo Discord']}\n"
                    f"  Admin:      {base}/admin/  (admin / admin)\n"
                    f"  API:        curl -u admin:admin {base}{API_PATH}\n"
                    "Press Ctrl-C to stop every process the demo started."
                )
            )
            if options["exit_when_delivered"]:
                self.wait_until_delivered(first_event, options["timeout"], processes)
                return
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
            raise CommandError("A demo process stopped; stopping the others.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the demo...")
        finally:
            stop(processes)

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

    def start_processes(self, port: int) -> list[subprocess.Popen[bytes]]:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
        for name, value in DEMO_ENVIRONMENT.items():
            env.setdefault(name, value)
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        celery = [sys.executable, "-m", "celery", "-A", "example_project"]
        schedule = str(settings.BROKER_DIR / "beat-schedule")
        commands = [
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
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
            [*celery, "beat", "-l", "warning", "--schedule", schedule],
        ]
        return [subprocess.Popen(command, env=env, cwd=settings.BASE_DIR) for command in commands]

    def wait_for_web(self, url: str, processes: list[subprocess.Popen[bytes]]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in processes):
                raise CommandError("A demo process failed to start.")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise CommandError(f"The web server did not answer at {url}.")

    def wait_until_delivered(
        self, first_event: int, timeout: float, processes: list[subprocess.Popen[bytes]]
    ) -> None:
        deadline = time.monotonic() + timeout
        events = Event.objects.filter(pk__gt=first_event)
        while time.monotonic() < deadline:
            unfinished = Delivery.objects.filter(event__in=events).filter(
                Q(status=Delivery.Status.PENDING) | Q(status=Delivery.Status.SENDING)
            )
            if not events.filter(fanned_out_at__isnull=True).exists() and not unfinished.exists():
                self.stdout.write("Every emitted event has been delivered.")
                return
            if any(process.poll() is not None for process in processes):
                raise CommandError("A demo process stopped.")
            time.sleep(0.5)
        raise CommandError(f"Deliveries were still owed after {timeout:g} s.")


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
