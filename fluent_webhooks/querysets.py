"""Querysets of the app's models: what is active, owed, claimable, and the claim itself."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connections, models, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from .choices import DeliveryStatus, WebhookStatus

if TYPE_CHECKING:
    from .models import Delivery, Event, Webhook  # noqa: F401 - named in the base classes

_M = TypeVar("_M", bound=models.Model)


# The window of a webhook's success rate, wherever it is shown (API, admin, status command).
SUCCESS_RATE_WINDOW = timedelta(hours=24)


class WebhookQuerySet(models.QuerySet["Webhook"]):
    def active(self) -> WebhookQuerySet:
        return self.filter(status=WebhookStatus.ACTIVE)

    def update(self, **kwargs: Any) -> int:
        """Update, and write down in the subscription history what a change of ``status`` or
        ``events`` changed (every bulk writer, e.g. a webhook marked inactive by the worker)."""
        from .subscriptions import WATCHED_FIELDS, record_changes

        if not WATCHED_FIELDS.intersection(kwargs):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            # Exactly the rows changed, locked in id order (the order record_health locks in);
            # a plain QuerySet, so that its update() is Django's.
            plain: models.QuerySet[Webhook] = models.QuerySet(self.model, using=self.db)
            matched = plain.filter(pk__in=self.values("pk")).order_by("pk").select_for_update()
            ids = list(matched.values_list("pk", flat=True))
            changed = plain.filter(pk__in=ids).update(**kwargs)
            record_changes(ids, using=self.db)
        return changed

    def bulk_create(self, objs: Iterable[Webhook], *args: Any, **kwargs: Any) -> list[Webhook]:
        """Create, and open the subscription periods of the active webhooks created."""
        from .subscriptions import record_changes

        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            record_changes([w.pk for w in created if w.pk is not None], using=self.db)
        return created

    def with_recent_attempts(self) -> WebhookQuerySet:
        """Annotate ``attempts_24h`` and ``successes_24h``: its attempts in the last 24 h."""
        recent = Q(deliveries__attempts__started_at__gte=timezone.now() - SUCCESS_RATE_WINDOW)
        return self.annotate(
            attempts_24h=Count("deliveries__attempts", filter=recent),
            successes_24h=Count(
                "deliveries__attempts", filter=recent & Q(deliveries__attempts__succeeded=True)
            ),
        )


def success_rate(webhook: Webhook) -> float | None:
    """The share of its attempts in the last 24 h that succeeded (0.0-1.0), None without any.

    ``webhook`` comes from ``with_recent_attempts()``.
    """
    total: int = getattr(webhook, "attempts_24h", 0)
    if not total:
        return None
    successes: int = getattr(webhook, "successes_24h", 0)
    return successes / total


class EventQuerySet(models.QuerySet["Event"]):
    def owed(self, stuck_before: datetime) -> EventQuerySet:
        """Events whose fan-out never reached the broker, or was handed out and not done."""
        return self.filter(fanned_out_at__isnull=True).filter(
            Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stuck_before)
        )


# The columns a claim returns: what sending and recording need (and the event's time, for the
# delivery-latency metric), and nothing else.
_CLAIMED_DELIVERY = ("id", "attempt_count", "manual_next_attempt", "event_id", "webhook_id")
_CLAIMED_EVENT = ("name", "body", "created_at")
_CLAIMED_WEBHOOK = (
    "url",
    "secret",
    "previous_secrets",
    "headers",
    "retry_count",
    "status",
    "format",
    "template",
)


_RETURNED = ", ".join(
    [f"d.{c}" for c in _CLAIMED_DELIVERY]
    + [f"e.{c}" for c in _CLAIMED_EVENT]
    + [f"w.{c}" for c in _CLAIMED_WEBHOOK]
)
_CLAIM_SQL = (
    "UPDATE {delivery} AS d SET status = %s, claim_token = %s, claimed_at = %s, locked_until = %s "
    "FROM {event} AS e, {webhook} AS w "
    "WHERE e.id = d.event_id AND w.id = d.webhook_id AND d.id = ANY(%s) AND {takeable} "
    "RETURNING {returned}"
)
# Of an active webhook, due and pending or abandoned mid-send (parameters: active, pending,
# now, sending, now)...
_TAKEABLE = (
    "w.status = %s AND "
    "((d.status = %s AND d.next_attempt_at <= %s) OR (d.status = %s AND d.locked_until < %s))"
)
# ... or, for a redelivery, in any state but while another claim is live (sending, now).
_TAKEABLE_MANUALLY = "(d.status <> %s OR d.locked_until < %s)"


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def claimable(self, now: datetime) -> DeliveryQuerySet:
        """Deliveries a worker may take now: due and pending, or abandoned mid-send, of an
        active webhook (an inactive one's owed deliveries wait until it is active again)."""
        return self.filter(webhook__status=WebhookStatus.ACTIVE).filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, locked_until__lt=now)
        )

    def for_log(self) -> DeliveryQuerySet:
        """With the event, and ``last_attempt_at`` (when its latest attempt started), newest
        first: the delivery log as the API and the CLI list it."""
        from .models import Attempt

        latest = Attempt.objects.filter(delivery=OuterRef("pk")).order_by("-started_at")
        return (
            self.select_related("event")
            .annotate(last_attempt_at=Subquery(latest.values("started_at")[:1]))
            .order_by("-created_at", "-event_id")
        )

    def being_sent(self, now: datetime) -> DeliveryQuerySet:
        """Deliveries a live claim holds: no one else may take them, not even a redelivery."""
        return self.filter(status=DeliveryStatus.SENDING, locked_until__gte=now)

    def owed(self, now: datetime, stuck_before: datetime) -> DeliveryQuerySet:
        """Claimable deliveries no live broker message is known to carry.

        A due one not handed out since it became due; one whose claim lapsed, not handed out
        since. Parked ones (``enqueued_at`` NULL) wait while their webhook has a live claim:
        that batch hands them out when it finishes, and a sweep that took them would only
        see them parked again, ahead of everything else owed.
        """
        stale = Q(enqueued_at__lt=stuck_before)
        due_unhanded = Q(status=DeliveryStatus.PENDING) & (
            Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=models.F("next_attempt_at")) | stale
        )
        lapsed_unhanded = Q(status=DeliveryStatus.SENDING) & (
            Q(enqueued_at__isnull=True)
            | Q(claimed_at__isnull=True)
            | Q(enqueued_at__lte=models.F("claimed_at"))
            | stale
        )
        live_claims = self.model.objects.filter(
            status=DeliveryStatus.SENDING, locked_until__gt=now
        ).values("webhook_id")
        return (
            self.claimable(now)
            .filter(due_unhanded | lapsed_unhanded)
            .exclude(enqueued_at__isnull=True, webhook_id__in=live_claims)
        )

    def in_flight_batches(
        self, webhook_ids: list[int], now: datetime, *, slow_since: datetime
    ) -> dict[int, tuple[int, int]]:
        """Per webhook, how many claims (batches) are being sent right now, and how many of
        those were claimed before ``slow_since``."""
        rows = (
            self.filter(
                webhook_id__in=webhook_ids,
                status=DeliveryStatus.SENDING,
                locked_until__gt=now,
            )
            .values("webhook_id")
            .annotate(
                batches=Count("claim_token", distinct=True),
                slow=Count("claim_token", distinct=True, filter=Q(claimed_at__lte=slow_since)),
            )
            .values_list("webhook_id", "batches", "slow")
        )
        return {webhook_id: (batches, slow) for webhook_id, batches, slow in rows}

    def claim(
        self,
        delivery_ids: list[uuid.UUID],
        *,
        token: uuid.UUID,
        now: datetime,
        until: datetime,
        manual: bool = False,
    ) -> list[Delivery]:
        """Take the claimable deliveries among ``delivery_ids`` for one worker until ``until``;
        ``manual`` (a redelivery) takes them in any state but while another claim is live.

        On PostgreSQL one ``UPDATE ... FROM ... RETURNING`` that also reads the event and
        webhook the sender needs; a delivery another worker won (the row lock makes the loser
        re-check) is not returned. The deliveries come back with ``event`` and ``webhook``
        loaded, other fields deferred. Other databases (SQLite's RETURNING cannot read joined
        tables) update, then read back what the token won.
        """
        if not delivery_ids:
            return []
        from .models import Delivery, Event, Webhook

        connection = connections[self.db]
        if connection.vendor != "postgresql":
            takeable = (
                self.exclude(pk__in=self.being_sent(now).values("pk"))
                if manual
                else self.claimable(now)
            )
            takeable.filter(pk__in=delivery_ids).update(
                status=DeliveryStatus.SENDING, claim_token=token, claimed_at=now, locked_until=until
            )
            return list(
                self.filter(pk__in=delivery_ids, claim_token=token).select_related(
                    "event", "webhook"
                )
            )
        delivery_table = connection.ops.quote_name(Delivery._meta.db_table)
        event_table = connection.ops.quote_name(Event._meta.db_table)
        webhook_table = connection.ops.quote_name(Webhook._meta.db_table)
        pk_field = Delivery._meta.pk
        assert pk_field is not None
        ids = [pk_field.get_db_prep_value(pk, connection) for pk in delivery_ids]
        stamp = connection.ops.adapt_datetimefield_value
        # Identifiers come from the models' meta, quoted; every value is a parameter.
        sql = _CLAIM_SQL.format(
            delivery=delivery_table,
            event=event_table,
            webhook=webhook_table,
            takeable=_TAKEABLE_MANUALLY if manual else _TAKEABLE,
            returned=_RETURNED,
        )
        params: list[Any] = [
            DeliveryStatus.SENDING.value,
            Delivery._meta.get_field("claim_token").get_db_prep_value(token, connection),
            stamp(now),
            stamp(until),
            ids,
            *(
                [DeliveryStatus.SENDING.value, stamp(now)]
                if manual
                else [
                    WebhookStatus.ACTIVE.value,
                    DeliveryStatus.PENDING.value,
                    stamp(now),
                    DeliveryStatus.SENDING.value,
                    stamp(now),
                ]
            ),
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        webhooks: dict[Any, dict[str, Any]] = {}
        return [_claimed_delivery(self.db, connection, row, webhooks) for row in rows]


def _claimed_delivery(
    db: str, connection: Any, row: tuple[Any, ...], webhooks: dict[Any, dict[str, Any]]
) -> Delivery:
    """One claimed row as a delivery with its event and webhook; ``webhooks`` keeps each
    webhook's converted columns, so a batch decrypts a webhook's secrets once, not per row."""
    from .models import Delivery, Event, Webhook

    delivery_id, attempt_count, manual_next_attempt, event_id, webhook_id, *rest = row
    name, body, created_at, *webhook_values = rest
    if webhook_id not in webhooks:
        columns = dict(zip(_CLAIMED_WEBHOOK, webhook_values, strict=True))
        webhooks[webhook_id] = _converted(Webhook, connection, columns)
    delivery = _loaded(
        Delivery,
        db,
        id=_uuid(delivery_id),
        attempt_count=attempt_count,
        manual_next_attempt=manual_next_attempt,
        event_id=event_id,
        webhook_id=webhook_id,
        status=DeliveryStatus.SENDING.value,
    )
    delivery.event = _loaded(Event, db, id=event_id, name=name, body=body, created_at=created_at)
    delivery.webhook = _loaded(Webhook, db, id=webhook_id, **copy.deepcopy(webhooks[webhook_id]))
    return delivery


def _converted(
    model: type[models.Model], connection: Any, columns: dict[str, Any]
) -> dict[str, Any]:
    """Raw column values as the ORM would read them: JSON parsed, encrypted fields decrypted
    (each field's ``from_db_value``, which the ORM applies and raw SQL does not)."""
    values = {}
    for name, value in columns.items():
        convert = getattr(model._meta.get_field(name), "from_db_value", None)
        # psycopg may hand a JSON column over parsed already; text is what fields convert.
        values[name] = (
            convert(value, None, connection) if convert and isinstance(value, str) else value
        )
    return values


def _loaded(model: type[_M], db: str, **values: Any) -> _M:
    """An instance as the ORM loads it with ``only(...)``: the other fields deferred."""
    ordered = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(db, ordered, [values[name] for name in ordered])


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
