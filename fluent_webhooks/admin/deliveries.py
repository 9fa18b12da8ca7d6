"""The delivery log: every delivery and attempt, read-only, with redelivery."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from ..delivery.pipeline import redeliver
from ..dispatch.deliveries import hand_out_redeliveries
from ..models import Attempt, Delivery
from .permissions import ReadOnlyLog, over_outbound_budget

MAX_REDELIVER_AT_ONCE = 20


if TYPE_CHECKING:
    _AttemptInline = admin.TabularInline[Attempt, Delivery]
    _DeliveryAdmin = admin.ModelAdmin[Delivery]
else:  # generic only in django-stubs
    _AttemptInline = admin.TabularInline
    _DeliveryAdmin = admin.ModelAdmin


class AttemptInline(ReadOnlyLog, _AttemptInline):
    model = Attempt
    extra = 0
    ordering = ("number",)
    fields = (
        "number",
        "manual",
        "started_at",
        "succeeded",
        "status_code",
        "duration_ms",
        "error",
        "response_excerpt",
        "headers_sent",
    )
    readonly_fields = fields

    @admin.display(description="request headers")
    def headers_sent(self, attempt: Attempt) -> str:
        lines = "\n".join(f"{name}: {value}" for name, value in attempt.request_headers.items())
        return format_html("<pre>{}</pre>", lines)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyLog, _DeliveryAdmin):
    list_display = (
        "id",
        "event_name",
        "webhook",
        "status",
        "attempt_count",
        "last_status_code",
        "created_at",
    )
    list_filter = ("status", "webhook", "event__name", "created_at")
    list_select_related = ("event", "webhook")
    search_fields = ("id", "event__name", "webhook__name")
    date_hierarchy = "created_at"
    actions = ("redeliver_action",)
    inlines = (AttemptInline,)
    fields = (
        "id",
        "webhook",
        "event_name",
        "status",
        "attempt_count",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "completed_at",
        "payload",
    )
    readonly_fields = fields

    @admin.display(description="event", ordering="event__name")
    def event_name(self, delivery: Delivery) -> str:
        return delivery.event.name

    @admin.display(description="payload")
    def payload(self, delivery: Delivery) -> str:
        try:
            pretty = json.dumps(json.loads(delivery.event.body), indent=2, ensure_ascii=False)
        except ValueError:
            pretty = delivery.event.body
        return format_html("<pre>{}</pre>", pretty)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # A read-only log still offers redelivery to those who manage webhooks.
        return {
            name: action
            for name, action in super().get_actions(request).items()
            if name != "delete_selected"
        }

    @admin.action(description="Redeliver now (a manual attempt, same delivery id)")
    def redeliver_action(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        selected = list(queryset.values_list("pk", flat=True)[: MAX_REDELIVER_AT_ONCE + 1])
        if len(selected) > MAX_REDELIVER_AT_ONCE:
            self.message_user(
                request,
                f"Select at most {MAX_REDELIVER_AT_ONCE} deliveries to redeliver at once.",
                messages.ERROR,
            )
            return
        if over_outbound_budget(self, request, "redeliveries"):
            return
        if len(selected) > 1:  # the worker sends them; this request does not wait for them
            if hand_out_redeliveries(selected):
                self.message_user(
                    request,
                    f"Redelivery of {len(selected)} deliveries was handed to the worker; their "
                    "attempts appear in this log as they are made.",
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request, "The broker is unavailable; nothing was redelivered.", messages.ERROR
                )
            return
        for delivery_id in selected:
            outcome = redeliver(delivery_id)
            if outcome is None:
                self.message_user(
                    request,
                    f"Delivery {delivery_id} is being sent right now; try again.",
                    messages.WARNING,
                )
            elif outcome.error is None:
                self.message_user(request, f"Delivery {delivery_id} redelivered.", messages.SUCCESS)
            else:
                self.message_user(
                    request, f"Delivery {delivery_id}: {outcome.error}", messages.ERROR
                )
