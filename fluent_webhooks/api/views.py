"""The documented Webhooks endpoints."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import rules
from ..conf import conf
from ..delivery.pipeline import send_test
from ..delivery.preview import preview
from ..events.catalog import TEST_EVENT, registry
from ..events.payloads import InvalidEventData, build_payload, serialize_payload
from ..events.xprofile import build_xprofile
from ..formats import api_datetime
from ..lookups import webhook_pk
from ..models import Webhook
from ..rotation import (
    MAX_GRACE_PERIOD,
    InvalidGracePeriod,
    clean_grace_period,
    previous_secrets,
    rotate_secret,
)
from ..secret_keys import mask_secret
from . import errors, shapes
from .parsers import BoundedJSONParser
from .permissions import CanManageWebhooks
from .schema import (
    WEBHOOK_ID,
    MessageSerializer,
    WebhookAutoSchema,
    bad_body,
    documented,
    openapi_document,
)
from .serializers import create_webhook, update_webhook, webhook_object
from .throttling import TestSendThrottle


class WebhookAPIView(APIView):
    """Base of the webhook views: JSON only, the app's auth, the documented error format."""

    parser_classes = [BoundedJSONParser]
    renderer_classes = [JSONRenderer]
    permission_classes = [CanManageWebhooks]
    # Set here, not through the host's REST_FRAMEWORK: the app brings its own schema.
    schema = WebhookAutoSchema()

    def get_authenticators(self) -> list[Any]:
        return [import_string(path)() for path in conf.api_authentication_classes]

    def get_exception_handler(self) -> Any:
        return errors.exception_handler

    def get_webhook(self, webhook_id: str, *, with_health: bool = False) -> Webhook:
        """The webhook of the URL; ``with_health``: annotated for its health fields."""
        pk = webhook_pk(webhook_id)
        if pk is None:
            raise errors.ApiError("not_found", errors.NOT_FOUND_MESSAGE, 404)
        webhooks = Webhook.objects.with_recent_attempts() if with_health else Webhook.objects
        try:
            return webhooks.get(pk=pk)
        except Webhook.DoesNotExist:
            raise errors.ApiError("not_found", errors.NOT_FOUND_MESSAGE, 404) from None

    def validated(self, request: Request, *, instance: Webhook | None = None) -> dict[str, Any]:
        """The body's fields as the webhook rules accept them. URL problems answer
        ``invalid_url``, the rest ``invalid_data``; both carry every field's message in
        ``data.errors``. Fields that are read-only or unknown are ignored."""
        if not isinstance(request.data, dict):
            raise errors.invalid_data({"body": "The request body must be a JSON object."})
        try:
            cleaned = rules.clean_webhook(
                request.data,
                partial=instance is not None,
                creating=instance is None,
                format_auto=instance.format_auto if instance is not None else True,
                current_format=instance.format if instance is not None else None,
                current_template=instance.template if instance is not None else None,
            )
        except rules.WebhookInvalid as error:
            if error.url_invalid:
                raise errors.invalid_url(error.errors["url"], error.errors) from None
            raise errors.invalid_data(error.errors) from None
        return cleaned

    def validated_update(self, request: Request, webhook: Webhook) -> rules.CleanedUpdate:
        """``validated`` for an update of ``webhook``: masked header values stand for the
        stored ones, and a move to another host drops those not set again."""
        cleaned = self.validated(request, instance=webhook)
        try:
            return rules.resolve_headers(cleaned, webhook.url, webhook.headers)
        except rules.WebhookInvalid as error:
            raise errors.invalid_data(error.errors) from None


class PublicAPIView(APIView):
    """A view for anyone: no authentication, no body read, errors in the API's format."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    parser_classes: list[Any] = []
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self) -> Any:
        return errors.exception_handler


class NoRouteView(PublicAPIView):
    """Every path under the API prefix that no endpoint serves: ``404 rest_no_route``,
    for anyone, as WordPress answers."""

    def http_method_not_allowed(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        raise errors.no_route()

    options = http_method_not_allowed


class OpenAPIView(PublicAPIView):
    """``GET .../openapi.json``: the API's OpenAPI 3 document, for anyone (it holds no data)."""

    def get(self, request: Request) -> Response:
        return Response(openapi_document())


@documented(
    get=extend_schema(
        operation_id="listWebhooks",
        summary="Get all webhooks",
        responses={200: shapes.WebhookListSerializer},
    ),
    post=extend_schema(
        operation_id="createWebhook",
        summary="Create a webhook",
        request=shapes.WebhookNewSerializer,
        responses={201: shapes.WebhookSavedSerializer},
    ),
)
class WebhookListView(WebhookAPIView):
    def get(self, request: Request) -> Response:
        webhooks = Webhook.objects.with_recent_attempts()
        return Response({"webhooks": [webhook_object(w, reveal_secret=False) for w in webhooks]})

    def post(self, request: Request) -> Response:
        webhook = create_webhook(self.validated(request))
        body = webhook_object(webhook, reveal_secret=True, reveal_headers=True)
        body["message"] = "Webhook created successfully."
        return Response(body, status=status.HTTP_201_CREATED)


# PUT and PATCH are one handler: fields left out are kept either way.
_UPDATE: dict[str, Any] = {
    "summary": "Update a webhook (fields left out are kept)",
    "parameters": [WEBHOOK_ID],
    "request": shapes.WebhookChangesSerializer,
    "responses": {200: shapes.WebhookSavedSerializer},
}


@documented(
    get=extend_schema(
        operation_id="getWebhook",
        summary="Get a webhook",
        parameters=[WEBHOOK_ID],
        responses={200: shapes.WebhookSerializer},
    ),
    put=extend_schema(operation_id="updateWebhook", **_UPDATE),
    patch=extend_schema(operation_id="patchWebhook", **_UPDATE),
    delete=extend_schema(
        operation_id="deleteWebhook",
        summary="Delete a webhook",
        parameters=[WEBHOOK_ID],
        responses={200: MessageSerializer},
    ),
)
class WebhookDetailView(WebhookAPIView):
    def get(self, request: Request, webhook_id: str) -> Response:
        webhook = self.get_webhook(webhook_id, with_health=True)
        return Response(webhook_object(webhook, reveal_secret=False))

    def put(self, request: Request, webhook_id: str) -> Response:
        with transaction.atomic():
            # Updates of one webhook take turns, so each resolves masked headers and a URL
            # move against what the one before it saved: a mask read before another request
            # moved the URL must not restore the old receiver's value at the new host.
            Webhook.objects.select_for_update().filter(pk=webhook_pk(webhook_id) or 0).exists()
            webhook = self.get_webhook(webhook_id, with_health=True)
            update = self.validated_update(request, webhook)
            webhook = update_webhook(webhook, update.values)
        body = webhook_object(webhook, reveal_secret=False)
        body["message"] = "Webhook updated successfully."
        if update.cleared_headers:
            body["message"] += (
                " The URL moved to another host, so these custom headers were cleared: "
                f"{', '.join(update.cleared_headers)}."
            )
        return Response(body)

    patch = put

    def delete(self, request: Request, webhook_id: str) -> Response:
        self.get_webhook(webhook_id).delete()
        return Response({"message": "Webhook deleted successfully."})


@documented(
    post=extend_schema(
        operation_id="testWebhook",
        summary="Send a test payload now",
        description="The answer says how the receiver took it; the request body is ignored.",
        parameters=[WEBHOOK_ID],
        request=None,
        responses={200: shapes.TestSendSerializer},
    ),
)
class WebhookTestView(WebhookAPIView):
    throttle_classes = [TestSendThrottle]

    def post(self, request: Request, webhook_id: str) -> Response:
        outcome = send_test(self.get_webhook(webhook_id), request.user)
        return Response(
            {
                "success": outcome.success,
                "status_code": outcome.status_code,
                "response_time": outcome.response_time,
                "message": outcome.message,
            }
        )


@documented(
    post=extend_schema(
        operation_id="previewWebhook",
        summary="Show the body and headers an event would send (nothing is sent)",
        parameters=[WEBHOOK_ID],
        request=shapes.PreviewEventSerializer,
        responses={200: shapes.PreviewSerializer},
    ),
)
class WebhookPreviewView(WebhookAPIView):
    """The exact body and headers an event would send to this webhook; nothing is sent."""

    def post(self, request: Request, webhook_id: str) -> Response:
        webhook = self.get_webhook(webhook_id)
        body = request.data if isinstance(request.data, dict) else None
        event, data = _preview_input(body)
        try:
            shown = preview(webhook, event, data, request.user)
        except InvalidEventData as error:  # e.g. "\ud800": valid JSON, not a valid payload
            raise errors.invalid_data({"data": str(error)}) from None
        return Response(
            {
                "url": shown.url,
                "format": webhook.format,
                "event": event,
                "body": shown.body.decode("utf-8"),
                "headers": shown.headers,
                "message": "Nothing was sent.",
            }
        )


@documented(
    post=extend_schema(
        operation_id="rotateWebhookSecret",
        summary="Give a webhook a new secret; the old one stays valid for a grace period",
        description="The new secret is shown whole this once. Until `grace_period` ends, "
        "`webhook-signature` carries a signature per valid secret, newest first; "
        "`X-Fluent-Signature` is signed with the new one only.",
        parameters=[WEBHOOK_ID],
        request=shapes.SecretRotationSerializer,
        responses={
            200: shapes.WebhookRotatedSerializer,
            400: bad_body(
                "the body is not an object, or `grace_period` is not a whole number of seconds "
                f"from 0 to {MAX_GRACE_PERIOD} (`data.errors`)."
            ),
        },
    ),
)
class WebhookRotateSecretView(WebhookAPIView):
    """``POST .../webhooks/{id}/rotate-secret``: a new secret, shown whole this once; the old
    one keeps signing ``webhook-signature`` for ``grace_period`` seconds (default 24 h)."""

    def post(self, request: Request, webhook_id: str) -> Response:
        webhook = self.get_webhook(webhook_id)
        body = request.data
        if not isinstance(body, dict):
            raise errors.invalid_data({"body": "The request body must be a JSON object."})
        if "grace_period" in request.query_params:
            # Ignoring it would rotate with the 24 h default where 0 was meant (after a leak).
            raise errors.invalid_data(
                {"grace_period": "Give grace_period in the JSON body, not in the query string."}
            )
        try:
            grace_period = clean_grace_period(body.get("grace_period"))
        except InvalidGracePeriod as error:
            raise errors.invalid_data({"grace_period": str(error)}) from None
        try:
            rotate_secret(webhook.pk, grace_period)
        except Webhook.DoesNotExist:  # deleted meanwhile
            raise errors.ApiError("not_found", errors.NOT_FOUND_MESSAGE, 404) from None
        webhook = self.get_webhook(webhook_id, with_health=True)  # as the other answers show it
        response = webhook_object(webhook, reveal_secret=True)
        response["previous_secrets"] = [
            {"secret": mask_secret(p.secret), "expires_at": api_datetime(p.expires_at)}
            for p in previous_secrets(webhook)
        ]
        response["message"] = "Webhook secret rotated."
        return Response(response)


def _preview_input(body: dict[str, Any] | None) -> tuple[str, dict[str, Any] | None]:
    if body is None:
        raise errors.invalid_data({"body": "The request body must be a JSON object."})
    event, data = body.get("event"), body.get("data")
    problems: dict[str, str] = {}
    if not isinstance(event, str) or (event not in registry and event != TEST_EVENT):
        problems["event"] = "Name an event of the catalog, or webhook.test."
    if data is not None and not isinstance(data, dict):
        problems["data"] = "Data must be a JSON object."
    if problems:
        raise errors.invalid_data(problems)
    assert isinstance(event, str)
    return event, data


@documented(
    get=extend_schema(
        operation_id="listEvents",
        summary="Get every event a webhook may subscribe to, with a sample payload each",
        description="The catalog, a site's own events included.",
        responses={200: shapes.EventCatalogSerializer},
    ),
)
class EventCatalogView(WebhookAPIView):
    """``GET .../webhooks/events``: every event a webhook may subscribe to, a site's own
    included, each with a sample payload as a receiver would get it."""

    def get(self, request: Request) -> Response:
        now = timezone.now()
        xprofile = build_xprofile(request.user)
        return Response(
            {
                "events": [
                    {
                        "name": event.name,
                        "group": event.group,
                        "description": event.description,
                        "sample_payload": json.loads(
                            serialize_payload(
                                build_payload(
                                    event.name, registry.sample(event.name), xprofile, now
                                )
                            )
                        ),
                    }
                    for event in registry
                ]
            }
        )
