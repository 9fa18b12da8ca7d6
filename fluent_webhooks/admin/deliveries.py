"""The delivery log: every delivery and attempt, read-only, with redelivery."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.html import format_html

from ..choices import FINAL_DELIVERY_STATUSES, DeliveryStatus
from ..delivery.pipeline import redeliver
from ..dispatch.deliveries import hand_out_redeliveries
from ..models import Attempt, Delivery
from .display import ADMIN_CSS, ADMIN_JS, Tone, ago, attempt_result, badge, folded, local_time
from .filters import CheckedFilters, DeliveryEventFilter
from .permissions import ReadOnlyLog, over_outbound_budget

MAX_REDELIVER_AT_ONCE = 20

STATUS_TONES: dict[str, Tone] = {
    DeliveryStatus.PENDING: "warn",
    DeliveryStatus.SENDING: "warn",
    DeliveryStatus.SUCCEEDED: "ok",
    DeliveryStatus.FAILED: "error",
    DeliveryStatus.CANCELLED: "quiet",
}


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
        "kind",
        "started",
        "result",
        "duration",
        "error",
        "response",
        "headers_sent",
    )
    readonly_fields = fields

    @admin.display(description="kind")
    def kind(self, attempt: Attempt) -> str:
        # Words, not the admin's red cross: an automatic attempt is not a failure.
        return "manual" if attempt.manual else "automatic"

    @admin.display(description="started at")
    def started(self, attempt: Attempt) -> str:
        return format_html('<span class="fw-nowrap">{}</span>', local_time(attempt.started_at))

    @admin.display(description="result")
    def result(self, attempt: Attempt) -> str:
        return attempt_result(attempt)

    @admin.display(description="duration")
    def duration(self, attempt: Attempt) -> str:
        return format_html('<span class="fw-nowrap">{} ms</span>', attempt.duration_ms)

    @admin.display(description="response")
    def response(self, attempt: Attempt) -> str:
        return folded("body", attempt.response_excerpt)

    @admin.display(description="request headers")
    def headers_sent(self, attempt: Attempt) -> str:
        lines = "\n".join(f"{name}: {value}" for name, value in attempt.request_headers.items())
        return folded(f"{len(attempt.request_headers)} headers", lines)


@admin.register(Delivery)
class DeliveryAdmin(CheckedFilters, ReadOnlyLog, _DeliveryAdmin):
    list_display = (
        "short_id",
        "event_name",
        "webhook",
        "status_badge",
        "attempt_count",
        "http_status",
        "created",
    )
    list_display_links = ("short_id",)
    list_filter = ("status", "webhook", DeliveryEventFilter, "created_at")
    list_select_related = ("event", "webhook")
    list_per_page = 50
    search_fields = ("id", "event__name", "webhook__name")
    actions = ("redeliver_action",)
    inlines = (AttemptInline,)
    change_form_template = "admin/fluent_webhooks/delivery_change_form.html"
    fields = (
        "id",
        "webhook",
        "event_name",
        "status_badge",
        "attempt_count",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "completed_at",
        "payload",
    )
    readonly_fields = fields

    class Media:
        css = {"all": (ADMIN_CSS,)}
        js = (ADMIN_JS,)

    def get_fields(self, request: HttpRequest, obj: Delivery | None = None) -> Any:
        if obj is not None and obj.status in FINAL_DELIVERY_STATUSES:
            return [name for name in self.fields if name != "next_attempt_at"]
        return [name for name in self.fields if name != "completed_at"]

    @admin.display(description="id", ordering="id")
    def short_id(self, delivery: Delivery) -> str:
        # The first 8 hex digits tell deliveries apart on a page; the whole id is on hover.
        return format_html('<code title="{}">{}</code>', delivery.pk, str(delivery.pk)[:8])

    @admin.display(description="event", ordering="event__name")
    def event_name(self, delivery: Delivery) -> str:
        return delivery.event.name

    @admin.display(description="status", ordering="status")
    def status_badge(self, delivery: Delivery) -> str:
        return badge(delivery.get_status_display(), STATUS_TONES.get(delivery.status, "quiet"))

    @admin.display(description="HTTP", ordering="last_status_code")
    def http_status(self, delivery: Delivery) -> str:
        return str(delivery.last_status_code or "-")

    @admin.display(description="created", ordering="created_at")
    def created(self, delivery: Delivery) -> str:
        return ago(delivery.created_at)

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

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<uuid:delivery_id>/redeliver/",
                self.admin_site.admin_view(self.redeliver_view),
                name="fluent_webhooks_delivery_redeliver",
            ),
            *super().get_urls(),
        ]

    def redeliver_view(self, request: HttpRequest, delivery_id: uuid.UUID) -> HttpResponse:
        """The delivery page's Redeliver button: the list action, for this one delivery."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        delivery = get_object_or_404(Delivery, pk=delivery_id)
        self.redeliver_selected(request, [delivery.pk])
        return redirect("admin:fluent_webhooks_delivery_change", delivery.pk)

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
        self.redeliver_selected(request, selected)

    def redeliver_selected(self, request: HttpRequest, selected: list[uuid.UUID]) -> None:
        """Redeliver within the user's outbound budget; several through the worker, one now."""
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
