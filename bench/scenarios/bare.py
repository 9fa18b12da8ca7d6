"""bare: the floor to compare with, a bare pooled urllib3 loop on one thread.

It sends the project's own bodies (emitted with ``send_event`` and read back from the outbox,
no worker running) to the same nginx, each signed as ``X-Fluent-Signature`` is, over one
kept-alive connection. Deliveries/s: from the first request to the last arrival at nginx.
"""

from __future__ import annotations

import time
import uuid

import urllib3
from common import reset_state
from report import Metric
from workload import Bench, add_webhooks, emit_many

METRICS = (Metric("rate", "deliveries/s", "/s"),)


def _bodies(bench: Bench) -> list[bytes]:
    """The bodies the project stores and sends, made once per invocation."""
    from fluent_webhooks.models import Event

    if len(bench.cache.get("bodies", ())) != bench.events:
        emit_many(bench.events)
        rows = Event.objects.order_by("pk").values_list("body", flat=True)
        bench.cache["bodies"] = [body.encode("utf-8") for body in rows]
        reset_state()  # drop the events and their fan-out messages: no worker is to see them
    return bench.cache["bodies"]


def run(bench: Bench) -> dict[str, float]:
    from fluent_webhooks.models import Webhook
    from fluent_webhooks.signing import sign

    reset_state()
    bodies = _bodies(bench)
    (webhook_id,) = add_webhooks([bench.receiver.url("bare")])
    secret = Webhook.objects.get(pk=webhook_id).secret
    pool = urllib3.HTTPConnectionPool(
        "127.0.0.1",
        bench.receiver.port,
        maxsize=1,
        block=True,
        timeout=urllib3.Timeout(connect=5.0, read=10.0),
        retries=False,
    )
    log = bench.receiver.log
    log.mark()
    started = time.time()
    for body in bodies:
        headers = {
            "Content-Type": "application/json",
            "X-Fluent-Signature": sign(body, secret),
            "webhook-id": str(uuid.uuid4()),
        }
        response = pool.urlopen("POST", "/bare", body=body, headers=headers)
        if response.status != 204:
            raise RuntimeError(f"nginx answered {response.status}")
    if not log.wait_for(len(bodies), timeout=30):
        raise RuntimeError(f"only {len(log.arrivals)} of {len(bodies)} arrived")
    elapsed = max(log.arrivals.values()) - started
    bench.say(
        f"{len(bodies)} deliveries in {elapsed:.2f} s over {len(log.connections)} connection(s)"
    )
    pool.close()
    return {"rate": len(bodies) / elapsed}
