"""What emitting an event adds to a request: a save in a transaction, with and without it.

Each step is a WSGI request as Django sees it (request_started, the view's work, then
request_finished, which WSGI servers send once the response is out). Both loops do the same
model save in its own transaction; the second also calls send_event, as a bound post_save
would. Reported: the time until the response is ready, and the hand-off to the Redis broker
that follows it. Run with 1 and with 100 subscribed webhooks: their number must not matter here,
since the fan-out happens in the worker.
"""

from __future__ import annotations

import statistics
import time

from common import drop_database, setup_django

ROUNDS = 5
WEBHOOK_COUNTS = (1, 100)
SAVES = 400


def main() -> None:
    setup_django()
    from django.contrib.auth.models import Group
    from django.core.signals import request_finished, request_started
    from django.db import transaction

    from fluent_webhooks import send_event
    from fluent_webhooks.models import Webhook

    def plain(index: int) -> None:
        with transaction.atomic():
            Group.objects.create(name=f"plain-{index}")

    def emitting(index: int) -> None:
        with transaction.atomic():
            group = Group.objects.create(name=f"emit-{index}")
            send_event("space.created", {"id": group.pk, "title": group.name})

    def per_request_ms(view, offset: int) -> tuple[float, float]:
        """Milliseconds per request until the response, and after it."""
        before = after = 0.0
        for index in range(SAVES):
            started = time.perf_counter()
            request_started.send(sender=None, environ={})
            view(offset + index)
            responded = time.perf_counter()
            request_finished.send(sender=None)
            before += responded - started
            after += time.perf_counter() - responded
        return before * 1000 / SAVES, after * 1000 / SAVES

    emitting(-1)  # connect to the broker before timing
    for webhooks in WEBHOOK_COUNTS:
        Webhook.objects.all().delete()
        Webhook.objects.bulk_create(
            Webhook(name=f"w{n}", url="https://hooks.example.com/x", events=["*"])
            for n in range(webhooks)
        )
        plain_runs, emit_runs = [], []
        for round_number in range(ROUNDS):  # interleaved, so drift hits both alike
            offset = (webhooks * ROUNDS + round_number) * SAVES
            plain_runs.append(per_request_ms(plain, offset))
            emit_runs.append(per_request_ms(emitting, offset))
        base = statistics.median(run[0] for run in plain_runs)
        with_event = statistics.median(run[0] for run in emit_runs)
        base_after = statistics.median(run[1] for run in plain_runs)
        with_event_after = statistics.median(run[1] for run in emit_runs)
        print(f"{webhooks} subscribed webhook(s), median of {ROUNDS} rounds of {SAVES} requests:")
        print(f"  until the response, save only:       {base:.3f} ms")
        print(f"  until the response, save and emit:   {with_event:.3f} ms")
        added = with_event - base
        print(f"    added by emitting:                 {added:.3f} ms ({with_event / base:.2f}x)")
        print(f"  after the response (hand-off):       {with_event_after - base_after:.3f} ms more")
    drop_database()


if __name__ == "__main__":
    main()
