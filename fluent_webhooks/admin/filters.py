"""The lists' filters: the event filter of the webhook list and of the delivery log, grouped as
in the catalog; and the check that turns a filter value the database cannot take into the
admin's answer to a wrong filter (a redirect to ``?e=1``), not a server error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest

from ..events.catalog import TEST_EVENT, registry, subscribes_to
from ..models import Delivery, Webhook


class GroupedEventFilter(admin.SimpleListFilter):
    """A drop-down with the catalog's groups, so 24 events take one line of the sidebar."""

    title = "event"
    parameter_name = "event"
    template = "admin/fluent_webhooks/grouped_filter.html"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in registry.names()]

    def event(self) -> str | None:
        """The event asked for; one that no event is named (``%00``, a typo) is the admin's
        wrong filter, as an unknown lookup is, rather than a query PostgreSQL may refuse."""
        event = self.value()
        if event and event not in registry and event != TEST_EVENT:
            raise IncorrectLookupParameters(f"No event is named {event!r}.")
        return event

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
        event = self.event()
        if not event:
            return queryset
        # events is a JSON list; containment differs between databases, and webhooks are few.
        matching = [w.pk for w in queryset if subscribes_to(w.events, event)]
        return queryset.filter(pk__in=matching)


class DeliveryEventFilter(GroupedEventFilter):
    def queryset(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> QuerySet[Delivery]:
        event = self.event()
        return queryset.filter(event__name=event) if event else queryset


class CheckedChangeList(ChangeList):
    """A list whose filter values are refused as the admin refuses a wrong filter when they
    hold NUL: PostgreSQL's text cannot, so ``?status=%00`` was a DataError (a 500)."""

    def get_filters_params(
        self, params: dict[str, list[str]] | None = None
    ) -> dict[str, list[str]]:
        lookup_params = super().get_filters_params(params)
        for name, values in lookup_params.items():
            if any("\x00" in value for value in values):
                raise IncorrectLookupParameters(f"The filter {name!r} holds a NUL character.")
        return lookup_params


class CheckedFilters:
    """For a ModelAdmin: its list is a ``CheckedChangeList``."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return CheckedChangeList
