"""The webhook admin: list health at a glance, edit with the API's rules, test, rotate."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.views.decorators.cache import never_cache

from .. import health
from ..choices import WebhookFormat
from ..delivery.pipeline import send_test
from ..delivery.preview import preview
from ..events.catalog import ALL_EVENTS, TEST_EVENT, registry, subscribes_to
from ..formats import api_datetime
from ..models import Attempt, Webhook
from ..querysets import WebhookQuerySet, success_rate
from ..rotation import DEFAULT_GRACE_PERIOD, previous_secrets, rotate_secret
from ..secret_keys import mask_secret
from .display import (
    ADMIN_CSS,
    ADMIN_JS,
    ago,
    attempt_result,
    badge,
    local_time,
    rate_bar,
    truncated,
)
from .filters import CheckedFilters, WebhookEventFilter
from .forms import WebhookForm
from .permissions import ManageWebhooksPermission, over_outbound_budget

RECENT_ATTEMPTS = 20


if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Webhook]
else:  # generic only in django-stubs
    _ModelAdmin = admin.ModelAdmin


@admin.register(Webhook)
class WebhookAdmin(CheckedFilters, ManageWebhooksPermission, _ModelAdmin):
    form = WebhookForm
    list_display = (
        "name_and_url",
        "subscribed_events",
        "status_badge",
        "last_triggered",
        "short_last_error",
        "success_rate",
    )
    list_filter = ("status", WebhookEventFilter)
    search_fields = ("name", "url")
    actions = ("send_test_action", "activate", "deactivate")
    readonly_fields = (
        "secret_control",
        "last_triggered_at",
        "last_error",
        "created_at",
        "updated_at",
        "recent_attempts",
        "preview_control",
    )
    fieldsets = (
        (None, {"fields": ("name", "url", "format", ("status", "retry_count"), "preview_control")}),
        ("Template", {"fields": ("template",), "classes": ("collapse",)}),
        ("Events", {"fields": ("events",)}),
        ("Security", {"fields": ("secret_control", "headers")}),
        ("Health", {"fields": ("last_triggered_at", "last_error", "created_at", "updated_at")}),
        ("Recent attempts", {"fields": ("recent_attempts",)}),
    )

    class Media:
        css = {"all": (ADMIN_CSS,)}
        js = (ADMIN_JS,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Webhook]:
        return cast(WebhookQuerySet, super().get_queryset(request)).with_recent_attempts()

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Webhook | None:
        if request.method == "POST":
            # The admin's change view runs in a transaction: lock the row before reading it,
            # so that two saves take turns and each resolves masked headers and a URL move
            # against what the other saved (as the API's updates do).
            # (Not an id: the admin answers it as it would any unknown object.)
            with contextlib.suppress(ValueError, ValidationError):
                Webhook.objects.select_for_update().filter(pk=object_id).exists()
        return super().get_object(request, object_id, from_field)

    def save_model(self, request: HttpRequest, obj: Webhook, form: Any, change: bool) -> None:
        if change and "status" in form.changed_data and obj.is_active:
            for field, value in health.REACTIVATED.items():  # a person's fresh start
                setattr(obj, field, value)
        super().save_model(request, obj, form, change)
        cleared = getattr(form, "cleared_headers", ())
        if cleared:
            self.message_user(
                request,
                f"The URL moved to another host, so these custom headers were cleared: "
                f"{', '.join(cleared)}. Enter their values again if the new receiver needs them.",
                messages.WARNING,
            )

    def get_fieldsets(self, request: HttpRequest, obj: Webhook | None = None) -> Any:
        if obj is None:  # a new webhook has no secret, health or attempts to show yet
            return (
                (None, {"fields": ("name", "url", "format", ("status", "retry_count"))}),
                ("Template", {"fields": ("template",), "classes": ("collapse",)}),
                ("Events", {"fields": ("events",)}),
                ("Custom headers", {"fields": ("headers",)}),
            )
        if obj.format == WebhookFormat.TEMPLATE:  # the template is what it sends: show it
            return tuple(
                (name, {**options, "classes": ()}) if name == "Template" else (name, options)
                for name, options in self.fieldsets
            )
        return self.fieldsets

    @admin.display(description="webhook", ordering="name")
    def name_and_url(self, webhook: Webhook) -> str:
        return format_html(
            '{}<span class="fw-truncate fw-url" title="{}">{}</span>',
            webhook.name,
            webhook.url,
            webhook.url.removeprefix("https://"),
        )

    @admin.display(description="events")
    def subscribed_events(self, webhook: Webhook) -> str:
        if ALL_EVENTS in webhook.events:
            return format_html('<span title="{}">all (*)</span>', "Every event, also future ones")
        names = ", ".join(webhook.events)
        label = f"{len(webhook.events)} of {len(registry)}"
        return format_html('<span class="fw-nowrap" title="{}">{}</span>', names, label)

    @admin.display(description="status", ordering="status")
    def status_badge(self, webhook: Webhook) -> str:
        if webhook.status != Webhook.Status.ACTIVE:
            return badge(webhook.get_status_display(), "quiet", webhook.disabled_reason or "")
        if webhook.consecutive_failures:
            return badge(
                f"Failing: {webhook.consecutive_failures}",
                "error",
                f"Active; its last {webhook.consecutive_failures} deliveries failed",
            )
        return badge(webhook.get_status_display(), "ok")

    @admin.display(description="last triggered", ordering="last_triggered_at")
    def last_triggered(self, webhook: Webhook) -> str:
        return ago(webhook.last_triggered_at)

    @admin.display(description="last error")
    def short_last_error(self, webhook: Webhook) -> str:
        return truncated(webhook.last_error or "", "fw-truncate fw-error")

    @admin.display(description="success (24\u00a0h)")  # one line, not "(24 | h)"
    def success_rate(self, webhook: Webhook) -> str:
        return rate_bar(success_rate(webhook), getattr(webhook, "attempts_24h", 0))

    @admin.display(description="secret")
    def secret_control(self, webhook: Webhook) -> str:
        reveal = reverse("admin:fluent_webhooks_webhook_reveal_secret", args=[webhook.pk])
        rotate = reverse("admin:fluent_webhooks_webhook_rotate_secret", args=[webhook.pk])
        return format_html(
            '<code>{}</code> <a class="button" href="{}">Reveal</a> '
            '<button type="submit" class="button" formaction="{}" formmethod="post" '
            "formnovalidate onclick=\"return confirm('Generate a new secret? The old one keeps "
            "signing webhook-signature for {} hours; X-Fluent-Signature uses the new one at "
            "once.')\">Generate new secret</button>",
            mask_secret(webhook.secret),
            reveal,
            rotate,
            DEFAULT_GRACE_PERIOD // 3600,
        )

    @admin.display(description="last 20 attempts")
    def recent_attempts(self, webhook: Webhook) -> str:
        attempts = list(
            Attempt.objects.filter(delivery__webhook=webhook)
            .select_related("delivery__event")
            .order_by("-started_at")[:RECENT_ATTEMPTS]
        )
        if not attempts:
            return "No attempts yet."
        rows = format_html_join(
            "",
            "<tr><td class='fw-nowrap'>{}</td><td><a href='{}'>{}</a></td><td>{}</td><td>{}</td>"
            "<td class='fw-nowrap'>{} ms</td><td>{}</td></tr>",
            (
                (
                    local_time(a.started_at),
                    reverse("admin:fluent_webhooks_delivery_change", args=[a.delivery_id]),
                    a.delivery.event.name,
                    a.number,
                    attempt_result(a),
                    a.duration_ms,
                    truncated(a.error, "fw-truncate fw-error"),
                )
                for a in attempts
            ),
        )
        failed = [a for a in attempts if not a.succeeded]
        summary = f"{len(attempts) - len(failed)} of {len(attempts)} succeeded"
        if failed:
            summary += f"; last failure {local_time(failed[0].started_at)}: {failed[0].error}"
        # Folded: the summary is the glance, the table the detail, and the page stays short.
        return format_html(
            "<details class='fw-recent'><summary class='{}'>{}</summary>"
            "<table class='fw-compact fw-attempts'><thead><tr><th>time</th><th>event</th>"
            "<th>attempt</th><th>result</th><th>duration</th><th>error</th></tr></thead>"
            "<tbody>{}</tbody></table></details>",
            "fw-error" if failed else "",
            Truncator(summary).chars(160),
            rows,
        )

    @admin.action(description="Send a test payload now")
    def send_test_action(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        for webhook in queryset:
            if over_outbound_budget(self, request, "test sends"):
                return
            outcome = send_test(webhook, request.user)
            status = outcome.status_code if outcome.status_code is not None else "no answer"
            text = (
                f"{webhook.name}: {outcome.message} (status {status}, {outcome.response_time} ms)"
            )
            self.message_user(
                request, text, messages.SUCCESS if outcome.success else messages.ERROR
            )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        webhook = self.get_object(request, unquote(object_id)) if request.method == "GET" else None
        if webhook is not None and not webhook.is_active and webhook.disabled_at:
            messages.warning(
                request,
                f"Disabled by the app on {api_datetime(webhook.disabled_at)} UTC: "
                f"{webhook.disabled_reason} Its owed deliveries are kept; set the status "
                "to active to resume them.",
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Activate")
    def activate(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        with transaction.atomic():
            queryset.exclude(status=Webhook.Status.ACTIVE).update(**health.REACTIVATED)
            count = queryset.update(status=Webhook.Status.ACTIVE, updated_at=timezone.now())
        self.message_user(request, f"Activated {count} webhook(s).", messages.SUCCESS)

    @admin.action(description="Deactivate")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        count = queryset.update(status=Webhook.Status.INACTIVE, updated_at=timezone.now())
        self.message_user(request, f"Deactivated {count} webhook(s).", messages.SUCCESS)

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:webhook_id>/secret/",
                wrap(never_cache(self.reveal_secret_view)),
                name="fluent_webhooks_webhook_reveal_secret",
            ),
            path(
                "<int:webhook_id>/preview/",
                wrap(never_cache(self.preview_view)),
                name="fluent_webhooks_webhook_preview",
            ),
            path(
                "<int:webhook_id>/secret/rotate/",
                wrap(self.rotate_secret_view),
                name="fluent_webhooks_webhook_rotate_secret",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="what it receives")
    def preview_control(self, webhook: Webhook) -> str:
        url = reverse("admin:fluent_webhooks_webhook_preview", args=[webhook.pk])
        return format_html(
            '<a class="button" href="{}">Preview a delivery</a> '
            "the exact body and headers for an event of your choice, signed, not sent",
            url,
        )

    def preview_view(self, request: HttpRequest, webhook_id: int) -> HttpResponse:
        webhook = self._managed_webhook(request, webhook_id)
        events = [*(name for name in webhook_events(webhook)), TEST_EVENT]
        event = request.GET.get("event") or events[0]
        if event not in events:
            event = events[0]
        shown = preview(webhook, event, user=request.user)
        try:
            body = json.dumps(json.loads(shown.body), indent=2, ensure_ascii=False)
        except ValueError:
            body = shown.body.decode("utf-8", errors="replace")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "webhook": webhook,
            "title": f"Preview of {webhook.name}",
            "events": events,
            "event": event,
            "headers": sorted(shown.headers.items(), key=lambda item: item[0].lower()),
            "body": body,
        }
        return TemplateResponse(request, "admin/fluent_webhooks/preview.html", context)

    def reveal_secret_view(self, request: HttpRequest, webhook_id: int) -> HttpResponse:
        webhook = self._managed_webhook(request, webhook_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "webhook": webhook,
            "title": f"Secret of {webhook.name}",
        }
        return TemplateResponse(request, "admin/fluent_webhooks/reveal_secret.html", context)

    def rotate_secret_view(self, request: HttpRequest, webhook_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        webhook = rotate_secret(self._managed_webhook(request, webhook_id).pk)
        ends = previous_secrets(webhook)[0].expires_at
        self.message_user(
            request,
            f"A new secret was generated. The old one stays valid in webhook-signature until "
            f"{api_datetime(ends)} UTC; X-Fluent-Signature uses the new one now.",
            messages.WARNING,
        )
        return redirect("admin:fluent_webhooks_webhook_reveal_secret", webhook.pk)

    def _managed_webhook(self, request: HttpRequest, webhook_id: int) -> Webhook:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(Webhook, pk=webhook_id)


def webhook_events(webhook: Webhook) -> list[str]:
    """The catalog's events this webhook receives, in catalog order."""
    return [name for name in registry.names() if subscribes_to(webhook.events, name)]
