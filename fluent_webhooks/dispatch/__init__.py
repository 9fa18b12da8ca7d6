"""Dispatching to the broker: the one place that publishes and that writes ``enqueued_at``.

- ``broker``: publishing by task name, at once or not at all; what Redis tells us (a fan-out
  already on its way, a broker that lost its messages).
- ``handoff``: when committed events go out: at once, or after a WSGI response.
- ``deliveries``: handing out deliveries in batches, the retry countdown rule, parked work.
- ``sweep``: handing out what the database says is owed.

A hand-off never retries against a broker that is down and never raises: what it could not
hand out stays owed in the database, where the sweep finds it.
"""
