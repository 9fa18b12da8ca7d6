"""The API's OpenAPI 3 description, generated from the views by drf-spectacular.

The app does not depend on the host site's ``REST_FRAMEWORK`` or ``SPECTACULAR_SETTINGS``:
the views carry ``WebhookAutoSchema`` themselves and ``openapi_document()`` applies this
module's settings while it generates.

``WebhookAutoSchema`` adds the error responses every webhook view can give, from what the view
and the operation are (see ``_automatic_errors``), so a view only declares its own success
responses and any error of its own with ``error_responses(...)``.
"""

from __future__ import annotations

import functools
import inspect
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import _load_enum_name_overrides
from drf_spectacular.settings import SPECTACULAR_DEFAULTS, patched_settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers
from rest_framework.views import APIView

from .. import __version__

# --- The shared components: the error body and its variants ---


class ErrorDataSerializer(serializers.Serializer[Any]):
    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")


class ErrorSerializer(serializers.Serializer[Any]):
    """Every error: a stable ``code``, a message for people, ``data.status``."""

    code = serializers.CharField(help_text="A stable, machine-readable error code.")
    message = serializers.CharField()
    # Named like Serializer.data: these serializers only describe, never serialize.
    data = ErrorDataSerializer()  # type: ignore[assignment]


class FieldErrorsDataSerializer(ErrorDataSerializer):
    errors = serializers.DictField(  # type: ignore[assignment]  # like Serializer.errors
        child=serializers.CharField(),
        required=False,
        help_text="For invalid_data and invalid_url: one message per field given wrong.",
    )


class BadRequestErrorSerializer(ErrorSerializer):
    data = FieldErrorsDataSerializer()


class RateLimitDataSerializer(ErrorDataSerializer):
    retry_after = serializers.IntegerField(
        allow_null=True, help_text="Seconds until a request may succeed again."
    )


class RateLimitErrorSerializer(ErrorSerializer):
    data = RateLimitDataSerializer()


class MessageSerializer(serializers.Serializer[Any]):
    message = serializers.CharField()


# status -> (the body's schema, what the response means, with the codes it carries)
_ERRORS: dict[int, tuple[type[serializers.Serializer[Any]], str]] = {
    400: (
        BadRequestErrorSerializer,
        "`rest_invalid_json`: the body is not JSON, or nested too deep; `invalid_data`: "
        "fields are wrong (`data.errors`); `invalid_url`: the URL breaks the URL rules "
        "(`data.errors`).",
    ),
    401: (
        ErrorSerializer,
        "`rest_not_logged_in`: no credentials, or credentials that do not authenticate.",
    ),
    403: (
        ErrorSerializer,
        "`rest_forbidden`: the user may not manage webhooks; `rest_cookie_invalid_nonce`: a "
        "session request without a valid CSRF token.",
    ),
    404: (ErrorSerializer, "`not_found`: no webhook has this id."),
    413: (
        ErrorSerializer,
        "`rest_request_too_large`: the body is larger than the site accepts.",
    ),
    415: (ErrorSerializer, "`rest_unsupported_media_type`: the body is not JSON."),
    429: (
        RateLimitErrorSerializer,
        "`rate_limit_exceeded`: too many requests; try again after `data.retry_after` "
        "seconds (also the `Retry-After` header).",
    ),
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error responses for ``statuses``, for a view's ``responses=``."""
    return {status: error_response(_ERRORS[status][1], _ERRORS[status][0]) for status in statuses}


def error_response(
    description: str, body: type[serializers.Serializer[Any]] = ErrorSerializer
) -> OpenApiResponse:
    """An error response of a view's own (say a 409), in the shared error shape."""
    return OpenApiResponse(response=body, description=description)


def bad_body(invalid_data: str) -> OpenApiResponse:
    """The 400 of an operation whose body is not a webhook's: ``invalid_data`` as it means
    there (``invalid_url`` is the webhook rules' alone)."""
    return error_response(
        f"`rest_invalid_json`: the body is not JSON, or nested too deep; `invalid_data`: "
        f"{invalid_data}",
        BadRequestErrorSerializer,
    )


WEBHOOK_ID = OpenApiParameter(
    "webhook_id",
    int,
    OpenApiParameter.PATH,
    description="The webhook's id. An id no webhook has answers 404 `not_found`.",
    examples=[OpenApiExample("A webhook", 1)],
)

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class WebhookAutoSchema(AutoSchema):
    """drf-spectacular's schema of a view, with the error responses the view can give."""

    def get_description(self) -> str:  # type: ignore[override]  # drf-spectacular's signature
        # The method's docstring or the view's own, never one inherited from a base view.
        own = self.view.__class__.__dict__.get("__doc__")
        method = getattr(self.view, self.method.lower(), None)
        return inspect.cleandoc(getattr(method, "__doc__", None) or own or "")

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for status, response in error_responses(*self._automatic_errors()).items():
            if str(status) not in responses:  # what the view declares wins
                responses[str(status)] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    response, str(status), direction=direction
                )
        return dict(sorted(responses.items()))

    def _automatic_errors(self) -> list[int]:
        """Error statuses that follow from how the view is built, not from what it does."""
        statuses: list[int] = []
        if self.method in _BODY_METHODS and self.get_request_serializer() is not None:
            statuses += [400, 413, 415]  # the body is parsed
        if any(
            not isinstance(permission, permissions.AllowAny)
            for permission in self.view.get_permissions()
        ):
            statuses += [401, 403]
        if "{" in self.path:
            statuses.append(404)  # an object by id, which may not exist
        if self.view.get_throttles():
            statuses.append(429)
        return statuses


_View = TypeVar("_View", bound=type[APIView])


def documented(**operations: Callable[[Any], Any]) -> Callable[[_View], _View]:
    """``extend_schema_view`` for the app's views: ``@documented(get=extend_schema(...))``.

    Each method named is wrapped in a function of its own (``patch = put`` stays two
    operations) whose schema class is ``WebhookAutoSchema``: drf-spectacular would otherwise
    take the host's ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]`` for an annotated method."""

    def decorate(view: _View) -> _View:
        for name, annotate in operations.items():
            method = _own_copy(getattr(view, name))
            method.kwargs = {"schema": WebhookAutoSchema}  # type: ignore[attr-defined]
            setattr(view, name, annotate(method))
        return view

    return decorate


def _own_copy(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def copy(*args: Any, **kwargs: Any) -> Any:
        return method(*args, **kwargs)

    return copy


class BasicScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """HTTP Basic: a username and a password (an application password, say)."""

    target_class = "fluent_webhooks.api.authentication.BasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {"type": "http", "scheme": "basic"}


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """``Authorization: Bearer <key>`` (``Token <key>`` is accepted too)."""

    target_class = "fluent_webhooks.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"
    priority = 1

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A REST framework token, as `Bearer <key>` or `Token <key>`.",
        }


def only_webhook_endpoints(endpoints: list[Any], **kwargs: Any) -> list[Any]:
    """The app's own endpoints, whatever else the host site routes through DRF.

    The routes take an optional trailing slash (``/?``); the documented paths, as the
    specification writes them, have none."""
    from .views import WebhookAPIView

    return [
        (path.rstrip("/"), path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if isinstance(getattr(callback, "cls", None), type)
        and issubclass(callback.cls, WebhookAPIView)
    ]


# Every setting of drf-spectacular's at its default but ours: the host's SPECTACULAR_SETTINGS
# (made for its own API) must not change this app's document. The SERVE_ ones are refused.
SETTINGS = {
    **{
        key: value
        for key, value in SPECTACULAR_DEFAULTS.items()
        if not key.startswith("SERVE_") and key != "DEFAULT_GENERATOR_CLASS"
    },
    "TITLE": "fluent-webhooks",
    "DESCRIPTION": (
        "The Webhooks API of Fluent Community, served by fluent-webhooks. Every error is "
        '`{"code", "message", "data": {"status"}}`; datetimes are `YYYY-MM-DD HH:MM:SS` '
        "UTC. Only administrators (superusers, or users with the "
        "`fluent_webhooks.manage_webhooks` permission) may call it."
    ),
    "VERSION": __version__,
    "OAS_VERSION": "3.0.3",
    "PREPROCESSING_HOOKS": ["fluent_webhooks.api.schema.only_webhook_endpoints"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Fields of one name with different choices (a webhook's status and a delivery's; the
    # events a webhook takes and those a replay takes) get names, not hashes, as components.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "fluent_webhooks.choices.WebhookStatus",
        "DeliveryStatusEnum": "fluent_webhooks.choices.DeliveryStatus",
        "EventsEnum": "fluent_webhooks.api.shapes.subscribable_events",
        "CatalogEventEnum": "fluent_webhooks.api.shapes.catalog_events",
    },
}

_document: dict[str, Any] | None = None
# patched_settings swaps drf-spectacular's global settings in and out: two threads generating
# at once would leave ours in place for the host's own schema.
_generating = threading.Lock()


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the API as the site routes it (generated once per process)."""
    global _document
    with _generating:
        if _document is not None:
            return _document
        with patched_settings(SETTINGS), _fresh_enum_names():
            generator = SchemaGenerator()  # type: ignore[no-untyped-call]
            generated = generator.get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
        # Plain JSON values (no lazy strings), as the file and the served document hold them.
        _document = json.loads(json.dumps(generated, cls=DjangoJSONEncoder))
    return _document


@contextmanager
def _fresh_enum_names() -> Iterator[None]:
    """drf-spectacular caches ENUM_NAME_OVERRIDES per language, whichever settings were in place:
    read ours (and the catalog as it is now) while generating, and leave the host's after."""
    _load_enum_name_overrides.cache_clear()
    try:
        yield
    finally:
        _load_enum_name_overrides.cache_clear()


def _forget_document(**kwargs: Any) -> None:
    # Auth classes, throttles and URLs come from settings a test may change.
    global _document
    _document = None


setting_changed.connect(_forget_document)
