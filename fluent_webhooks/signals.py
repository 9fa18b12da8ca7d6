"""Signals the app sends, for a site to connect to.

``webhook_disabled``: the app (not a person) set a webhook ``inactive``, because every attempt
failed for ``DISABLE_AFTER`` or because its receiver answered ``410 Gone``. Sent once, by the
worker, after the change is committed, with ``sender=Webhook`` and these keyword arguments:

- ``webhook``: the ``Webhook``, as saved (``disabled_at``, ``disabled_reason`` set);
- ``reason``: why, in plain words (the same text as ``webhook.disabled_reason``);
- ``failures``: failed attempts in a row when it was disabled;
- ``failing_since``: when that run of failures began (an aware datetime, or None);
- ``last_error``: the last attempt's error.

A receiver that raises is logged; it never undoes the change nor stops the notice e-mails.
"""

from __future__ import annotations

from django.dispatch import Signal

webhook_disabled = Signal()
