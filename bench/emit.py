"""What emitting an event adds to a request: a save in a transaction, with and without it.

Both loops do the same model save in its own transaction; the second also calls send_event,
as a bound post_save would, including the on-commit hand-off to the Redis broker. Ten
webhooks subscribe, to show that their number does not matter on the request path.
"""

from __future__ import annotations

import statistics
import time

from common import drop_database, setup_django

ROUNDS = 5
SAVES = 400


def main() -> None:
    setup_django()
    from django.contrib.auth.models import Group
    from django.db import transaction

    from fluent_webhooks.models import Webhook
    from fluent_webhooks.outbox import send_event

    for number in range(10):
        Webhook.objects.create(name=f"w{number}", url="https://hooks.example.com/x", events=["*"])

    def plain(index: int) -> None:
        with transaction.atomic():
            Group.objects.create(name=f"plain-{index}")

    def emitting(index: int) -> None:
        with transaction.atomic():
            group = Group.objects.create(name=f"emit-{index}")
            send_event("space.created", {"id": group.pk, "title": group.name})

    def per_save_ms(work, offset: int) -> float:
        started = time.perf_counter()
        for index in range(SAVES):
            work(offset + index)
        return (time.perf_counter() - started) * 1000 / SAVES

    emitting(-1)  # connect to the broker before timing
    plain_ms, emit_ms = [], []
    for round_number in range(ROUNDS):  # interleaved, so drift hits both alike
        plain_ms.append(per_save_ms(plain, round_number * SAVES))
        emit_ms.append(per_save_ms(emitting, round_number * SAVES))
    base, with_event = statistics.median(plain_ms), statistics.median(emit_ms)
    print(f"save in a transaction:              {base:.3f} ms")
    print(f"same, emitting an event:            {with_event:.3f} ms")
    print(
        f"added by emitting:                  {with_event - base:.3f} ms ({with_event / base:.2f}x)"
    )
    drop_database()


if __name__ == "__main__":
    main()
