"""The event filter of the webhook list and of the delivery log, grouped as in the catalog."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ..events.catalog import registry, subscribes_to
from ..models import Delivery, Webhook


class GroupedEventFilter(admin.SimpleListFilter):
    """A drop-down with the catalog's groups, so 24 events take one line of the sidebar."""

    title = "event"
    parameter_name = "event"
    template = "admin/fluent_webhooks/grouped_filter.html"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in registry.names()]

    def choices(self, changelist: Any) -> Iterator[Any]:  # grouped: not the stubs' shape
        everything, *events = super().choices(changelist)
        yield everything
        by_name = {
            name: choice for (name, _), choice in zip(self.lookup_choices, events, strict=True)
        }
        for group, members in registry.grouped().items():
            yield {
                "group": group,
                "events": [by_name[event.name] for event in members],
            }


class WebhookEventFilter(GroupedEventFilter):
    """Webhooks that receive the event, also through ``*``."""

    def queryset(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> QuerySet[Webhook]:
        event = self.value()
        if not event:
            return queryset
        # events is a JSON list; containment differs between databases, and webhooks are few.
        matching = [w.pk for w in queryset if subscribes_to(w.events, event)]
        return queryset.filter(pk__in=matching)


class DeliveryEventFilter(GroupedEventFilter):
    def queryset(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> QuerySet[Delivery]:
        event = self.value()
        return queryset.filter(event__name=event) if event else queryset
