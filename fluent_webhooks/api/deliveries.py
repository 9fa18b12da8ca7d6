"""A webhook's delivery log through the API: list, one delivery, redeliver, replay."""

from __future__ import annotations

from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from ..choices import DeliveryStatus
from ..dispatch import replay
from ..dispatch.deliveries import hand_out_redeliveries
from ..events.catalog import TEST_EVENT, registry
from ..formats import parse_api_datetime
from ..lookups import delivery_pk
from ..models import Delivery, Webhook
from ..querysets import DeliveryQuerySet
from . import errors
from .delivery_shapes import (
    DELIVERY_ID,
    LIST_PARAMETERS,
    LOCATION,
    DeliveryDetailSerializer,
    DeliveryListSerializer,
    RedeliverySerializer,
    ReplayResultSerializer,
    ReplaySerializer,
)
from .pagination import page_params, paginate
from .schema import WEBHOOK_ID, BadRequestErrorSerializer, bad_body, documented, error_response
from .serializers import attempt_object, delivery_object
from .throttling import TestSendThrottle
from .views import WebhookAPIView

REDELIVERY_QUEUED = (
    "Redelivery was handed to the worker; its attempt appears in the delivery as it is made."
)
BROKER_UNAVAILABLE_MESSAGE = "The broker is unavailable; nothing was redelivered."

_DELIVERY_NOT_FOUND = error_response(
    "`not_found`: no webhook has this id, or it has no delivery of this id."
)


@documented(
    get=extend_schema(
        operation_id="listDeliveries",
        summary="Get a webhook's deliveries, newest first, a page at a time",
        description="The filters combine; `X-WP-Total` and `X-WP-TotalPages` count what they "
        "match, as WordPress pages its lists.",
        parameters=[WEBHOOK_ID, *LIST_PARAMETERS],
        responses={
            200: DeliveryListSerializer,
            400: error_response(
                "`invalid_data`: a query parameter is wrong (each named in `data.errors`); "
                "`rest_post_invalid_page_number`: `page` is past the last page.",
                BadRequestErrorSerializer,
            ),
        },
    )
)
class DeliveryListView(WebhookAPIView):
    """``GET .../webhooks/{id}/deliveries``: newest first, paged, filtered."""

    def get(self, request: Request, webhook_id: str) -> Response:
        webhook = self.get_webhook(webhook_id)
        page, per_page = page_params(request.query_params)
        deliveries = filter_delivery_log(
            Delivery.objects.filter(webhook=webhook), request.query_params
        )
        listed = paginate(deliveries.for_log(), page, per_page)
        return Response(
            {"deliveries": [delivery_object(d) for d in listed.items]}, headers=listed.headers()
        )


@documented(
    get=extend_schema(
        operation_id="getDelivery",
        summary="Get a delivery, with its payload and every attempt",
        description="The payload as stored (a Slack, Discord or template webhook got it "
        "rendered in its format); request headers as recorded, secrets redacted.",
        parameters=[WEBHOOK_ID, DELIVERY_ID],
        responses={200: DeliveryDetailSerializer, 404: _DELIVERY_NOT_FOUND},
    )
)
class DeliveryDetailView(WebhookAPIView):
    """``GET .../webhooks/{id}/deliveries/{delivery_id}``: with its payload and attempts."""

    def get(self, request: Request, webhook_id: str, delivery_id: str) -> Response:
        delivery = get_delivery(self.get_webhook(webhook_id), delivery_id)
        attempts = list(delivery.attempts.order_by("number", "started_at"))
        body = delivery_object(delivery)
        # The exact bytes of the documented payload; a Slack, Discord or template webhook got
        # them rendered in its format (the preview endpoint shows how).
        body["payload"] = delivery.event.body
        body["attempts"] = [attempt_object(a) for a in attempts]
        return Response(body)


@documented(
    post=extend_schema(
        operation_id="redeliverDelivery",
        summary="Send a delivery again, through the worker",
        description="One manual attempt with the same delivery id and payload; the answer "
        "comes before it is made. The request body is ignored.",
        parameters=[WEBHOOK_ID, DELIVERY_ID, LOCATION],
        request=None,
        responses={
            202: RedeliverySerializer,
            404: _DELIVERY_NOT_FOUND,
            409: error_response(
                "`delivery_in_progress`: the delivery is being sent now; `webhook_inactive`: "
                "the webhook is inactive (activate it first, as for a replay)."
            ),
            503: error_response("`broker_unavailable`: the worker's broker cannot be reached."),
        },
    )
)
class RedeliverView(WebhookAPIView):
    """``POST .../deliveries/{delivery_id}/redeliver``: the worker makes a manual attempt."""

    throttle_classes = [TestSendThrottle]  # each is an outbound request, as a test send is

    def post(self, request: Request, webhook_id: str, delivery_id: str) -> Response:
        webhook = self.get_webhook(webhook_id)
        delivery = get_delivery(webhook, delivery_id)
        if not webhook.is_active:  # as a replay: an inactive webhook is sent nothing
            raise errors.ApiError("webhook_inactive", errors.WEBHOOK_INACTIVE_MESSAGE, 409)
        if Delivery.objects.being_sent(timezone.now()).filter(pk=delivery.pk).exists():
            raise errors.ApiError("delivery_in_progress", errors.DELIVERY_IN_PROGRESS_MESSAGE, 409)
        if not hand_out_redeliveries([delivery.pk]):
            raise errors.ApiError("broker_unavailable", BROKER_UNAVAILABLE_MESSAGE, 503)
        url = _url(request, "delivery-detail", webhook_id=webhook.pk, delivery_id=delivery.pk)
        return Response(
            {"id": str(delivery.pk), "message": REDELIVERY_QUEUED, "delivery": url},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": url},
        )


@documented(
    post=extend_schema(
        operation_id="replayDeliveries",
        summary="Send a time window's deliveries again, through the worker",
        description="The webhook's finished deliveries of events in the window are re-opened "
        "and handed to the worker, oldest event first, one manual attempt each; those still "
        "owed or being sent are left alone, so a repeated replay adds no work.",
        parameters=[WEBHOOK_ID],
        request=ReplaySerializer,
        examples=[
            OpenApiExample(
                "Failed deliveries since a time",
                {"since": "2024-01-15 00:00:00", "only_failed": True},
                request_only=True,
            )
        ],
        responses={
            202: ReplayResultSerializer,
            400: bad_body(
                "a field is wrong, the webhook is inactive (`status`), or more deliveries match "
                "than `REPLAY_MAX` allows (`body`), each named in `data.errors`."
            ),
        },
    )
)
class ReplayView(WebhookAPIView):
    """``POST .../webhooks/{id}/replay``: re-send a window's deliveries through the worker."""

    throttle_classes = [TestSendThrottle]

    def post(self, request: Request, webhook_id: str) -> Response:
        webhook = self.get_webhook(webhook_id)
        if not isinstance(request.data, dict):
            raise errors.invalid_data({"body": "The request body must be a JSON object."})
        try:
            result = replay.replay(webhook, replay.clean_replay(request.data))
        except replay.ReplayInvalid as error:
            raise errors.invalid_data(error.errors, "Invalid replay.") from None
        return Response(
            {
                "matched": result.matched,
                "queued": result.queued,
                "already_queued": result.already_queued,
                "message": f"{result.queued} deliveries were handed to the worker, oldest event "
                "first; their attempts appear in the delivery log as they are made.",
                "deliveries": _url(request, "delivery-list", webhook_id=webhook.pk),
            },
            status=status.HTTP_202_ACCEPTED,
        )


def get_delivery(webhook: Webhook, delivery_id: str) -> Delivery:
    """The webhook's delivery of the URL, with its event; another webhook's is not found."""
    pk = delivery_pk(delivery_id)
    delivery = (
        None if pk is None else Delivery.objects.for_log().filter(webhook=webhook, pk=pk).first()
    )
    if delivery is None:
        raise errors.ApiError("not_found", errors.DELIVERY_NOT_FOUND_MESSAGE, 404)
    return delivery


def filter_delivery_log(deliveries: DeliveryQuerySet, query: QueryDict) -> DeliveryQuerySet:
    """The delivery log's filters, for the API and ``webhooks deliveries`` alike: ``status``,
    ``event`` (each may list values, comma-separated), ``since`` and ``until`` (the
    delivery's creation); a bad value is ``invalid_data`` naming it."""
    problems: dict[str, str] = {}
    statuses = _listed(query.get("status"))
    if statuses and not set(statuses) <= set(DeliveryStatus.values):
        problems["status"] = f"status must be one of {', '.join(DeliveryStatus.values)}."
    events = _listed(query.get("event"))
    if events and not all(name in registry or name == TEST_EVENT for name in events):
        problems["event"] = "event must name events of the catalog (or webhook.test)."
    bounds = {}
    for name in ("since", "until"):
        if query.get(name) is not None:
            bounds[name] = parse_api_datetime(query.get(name))
            if bounds[name] is None:
                problems[name] = f"Give {name} as {replay.DATETIME_HELP}."
    if problems:
        raise errors.invalid_params(problems)
    if statuses:
        deliveries = deliveries.filter(status__in=statuses)
    if events:
        deliveries = deliveries.filter(event__name__in=events)
    if bounds.get("since"):
        deliveries = deliveries.filter(created_at__gte=bounds["since"])
    if bounds.get("until"):
        deliveries = deliveries.filter(created_at__lte=bounds["until"])
    return deliveries


def _listed(value: str | None) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()] if value else []


def _url(request: Request, name: str, **kwargs: object) -> str:
    return request.build_absolute_uri(reverse(f"fluent_webhooks_api:{name}", kwargs=kwargs))
