"""Every API error as ``{"code", "message", "data": {"status", ...}}``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

NOT_FOUND_MESSAGE = "Webhook not found."
DELIVERY_NOT_FOUND_MESSAGE = "Delivery not found."
DELIVERY_IN_PROGRESS_MESSAGE = "The delivery is being sent right now; try again when it is done."
WEBHOOK_INACTIVE_MESSAGE = "The webhook is inactive: activate it, then redeliver."
FORBIDDEN_MESSAGE = "Sorry, you don't have permission to manage webhooks."
NO_ROUTE_MESSAGE = "No route was found matching the URL and request method."


class ApiError(exceptions.APIException):
    """An error with the API family's code and message, and extra ``data`` keys."""

    def __init__(self, code: str, message: str, status_code: int, **data: Any) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.message = message
        self.extra_data = data


def invalid_data(errors: dict[str, str], message: str = "Invalid webhook data.") -> ApiError:
    return ApiError("invalid_data", message, 400, errors=errors)


def invalid_params(errors: dict[str, str]) -> ApiError:
    """Query parameters that are not what the endpoint takes, each named in ``data.errors``."""
    return invalid_data(errors, f"Invalid parameter(s): {', '.join(errors)}.")


def invalid_url(message: str, errors: dict[str, str]) -> ApiError:
    return ApiError("invalid_url", message, 400, errors=errors)


def no_route() -> ApiError:
    """What WordPress answers for a path (or a method) that no endpoint serves."""
    return ApiError("rest_no_route", NO_ROUTE_MESSAGE, 404)


def request_too_large() -> ApiError:
    # 413, not invalid_data: no field is wrong, and sending the same body again cannot work.
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return ApiError(
        "rest_request_too_large",
        f"The request body is larger than the {limit} bytes this site accepts.",
        413,
    )


def error_response(code: str, message: str, status_code: int, **data: Any) -> Response:
    return Response(
        {"code": code, "message": message, "data": {"status": status_code, **data}},
        status=status_code,
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler of the webhook views; Django's own handling for anything else."""
    converted = _convert(exc)
    if converted is None:
        return None
    response = error_response(
        converted.error_code,
        converted.message,
        converted.status_code,
        **converted.extra_data,
    )
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        authenticate_header = getattr(exc, "auth_header", None)
        if authenticate_header:
            response["WWW-Authenticate"] = authenticate_header
    wait = _throttle_wait(exc)
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response


def _convert(exc: Exception) -> ApiError | None:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, RequestDataTooBig):
        return request_too_large()
    if isinstance(exc, Http404 | exceptions.NotFound):
        return ApiError("not_found", NOT_FOUND_MESSAGE, 404)
    if isinstance(exc, exceptions.NotAuthenticated):
        return ApiError("rest_not_logged_in", "You are not currently logged in.", 401)
    if isinstance(exc, exceptions.AuthenticationFailed):
        return ApiError("rest_not_logged_in", f"Authentication failed: {exc.detail}", 401)
    if isinstance(exc, exceptions.PermissionDenied):
        if str(exc.detail).startswith("CSRF Failed"):
            # A logged-in browser session without a valid CSRF token.
            return ApiError("rest_cookie_invalid_nonce", str(exc.detail), 403)
        return ApiError("rest_forbidden", FORBIDDEN_MESSAGE, 403)
    if isinstance(exc, exceptions.ParseError):
        return ApiError("rest_invalid_json", f"Invalid JSON body: {exc.detail}", 400)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return ApiError(
            "rest_unsupported_media_type",
            f"{exc.detail} Send JSON with 'Content-Type: application/json'.",
            415,
        )
    if isinstance(exc, exceptions.MethodNotAllowed):
        return ApiError("rest_no_route", str(exc.detail), 405)
    if isinstance(exc, exceptions.Throttled):
        return ApiError(
            "rate_limit_exceeded", "Too many requests.", 429, retry_after=_throttle_wait(exc)
        )
    if isinstance(exc, exceptions.ValidationError):
        return invalid_data(flatten_errors(exc.detail))
    if isinstance(exc, exceptions.APIException):
        return ApiError(str(exc.default_code), str(exc.detail), exc.status_code)
    return None


def _throttle_wait(exc: Exception) -> int | None:
    """Whole seconds until a throttled client may try again (the stubs omit ``wait``)."""
    wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
    return int(wait) if wait is not None else None


def flatten_errors(detail: Any) -> dict[str, str]:
    """DRF's nested error lists as ``{field: first message}``."""
    if isinstance(detail, dict):
        return {
            ("body" if field == "non_field_errors" else str(field)): _first_message(messages)
            for field, messages in detail.items()
        }
    return {"body": _first_message(detail)}


def _first_message(messages: Any) -> str:
    while isinstance(messages, list | tuple) and messages:
        messages = messages[0]
    if isinstance(messages, dict):
        return _first_message(next(iter(messages.values()), ""))
    return str(messages)


__all__ = ["ApiError", "error_response", "exception_handler", "status"]
