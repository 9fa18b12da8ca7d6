"""The inspector: a receiving endpoint and a page of what it received."""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from fluent_webhooks import verify, verify_standard
from fluent_webhooks.delivery.build import DELIVERY_HEADER, EVENT_HEADER
from fluent_webhooks.redaction import redact
from fluent_webhooks.signatures.fluent import SIGNATURE_HEADER

from .models import Inbox, ReceivedDelivery

MAX_BODY = 1024 * 1024
PER_PAGE = 25


@csrf_exempt
@require_http_methods(["GET", "POST"])
def inbox(request: HttpRequest, token: str) -> HttpResponse:
    box = get_object_or_404(Inbox, token=token)
    if request.method == "POST":
        return _receive(request, box)
    events = list(box.received.order_by("event").values_list("event", flat=True).distinct())
    event = request.GET.get("event", "")
    shown = box.received.filter(event=event) if event else box.received.all()
    page = Paginator(shown, PER_PAGE).get_page(request.GET.get("page"))
    for item in page.object_list:
        item.pretty_body = _pretty(item.body)
        item.chat = chat_view(item.body)
    context = {"inbox": box, "page": page, "events": events, "event": event}
    return render(request, "inspector/inbox.html", context)


def _receive(request: HttpRequest, box: Inbox) -> HttpResponse:
    body = request.body[:MAX_BODY]
    secret = box.webhook.secret if box.webhook else ""
    valid = bool(secret) and verify(body, request.headers.get(SIGNATURE_HEADER), secret)
    ReceivedDelivery.objects.create(
        inbox=box,
        event=request.headers.get(EVENT_HEADER, "")[:100],
        delivery_id=request.headers.get(DELIVERY_HEADER, "")[:64],
        signature_valid=valid,
        standard_signature_valid=bool(secret) and verify_standard(body, request.headers, secret),
        headers=redact(dict(request.headers)),  # as the delivery log: no credentials shown
        body=body.decode("utf-8", errors="replace"),
    )
    # Answer as the spec advises receivers to: quickly, and 401 for a bad signature.
    return HttpResponse("OK" if valid else "Invalid signature", status=200 if valid else 401)


def received_json(request: HttpRequest, token: str) -> JsonResponse:
    """The inbox as JSON: what tests and scripts read."""
    box = get_object_or_404(Inbox, token=token)
    items = [
        {
            "event": item.event,
            "delivery_id": item.delivery_id,
            "signature_valid": item.signature_valid,
            "standard_signature_valid": item.standard_signature_valid,
            "received_at": item.received_at.isoformat(),
            "body": json.loads(item.body) if _is_json(item.body) else item.body,
        }
        for item in box.received.all()
    ]
    return JsonResponse({"received": items})


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def chat_view(text: str) -> dict[str, Any] | None:
    """A Slack or Discord message as the service would show it, roughly; None for others."""
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if not isinstance(message, dict) or "event" in message:
        return None
    if "blocks" in message:
        lines = [
            _slack_plain(element.get("text", ""))
            for block in message["blocks"]
            for element in ([block.get("text")] if block.get("text") else block.get("elements", []))
            if isinstance(element, dict)
        ]
        return {"service": "Slack", "lines": lines}
    if "embeds" in message or "content" in message:
        embed = (message.get("embeds") or [{}])[0]
        return {"service": "Discord", "content": message.get("content", ""), "embed": embed}
    return None


_SLACK_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")


def _slack_plain(mrkdwn: str) -> str:
    """Slack's link syntax as 'label (url)', its escapes undone, for reading."""
    text = _SLACK_LINK.sub(r"\2 (\1)", mrkdwn)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
