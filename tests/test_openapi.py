"""The OpenAPI document: the committed file, the served one and the code agree, and it says
what the views do (errors, auth, bodies)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command
from drf_spectacular.utils import extend_schema
from rest_framework.test import APIClient

from fluent_webhooks.api import schema as api_schema
from fluent_webhooks.api import shapes
from fluent_webhooks.api.schema import openapi_document
from fluent_webhooks.api.serializers import attempt_object, delivery_object, webhook_object
from fluent_webhooks.api.views import WebhookAPIView
from fluent_webhooks.cli.schema import openapi_text
from fluent_webhooks.models import Attempt, Delivery, Event
from tests.conftest import API

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
PREFIX = API.removesuffix("/webhooks")
SERVED = f"{PREFIX}/openapi.json"


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path.removeprefix(PREFIX), operation


def test_the_committed_file_is_what_the_code_generates():
    # If this fails: `make schema`, and commit docs/openapi.json.
    assert DOCUMENT.read_text(encoding="utf-8") == openapi_text()


def test_the_served_document_is_the_generated_one_for_anyone(db):
    response = APIClient().get(SERVED)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == openapi_document()


def test_the_served_document_is_not_shadowed_by_the_no_route_view(db):
    assert APIClient().get(f"{PREFIX}/openapi.jsonx").json()["code"] == "rest_no_route"
    assert APIClient().post(SERVED).status_code == 405


def test_cli_check_passes_on_the_committed_file_and_fails_on_a_stale_one(tmp_path):
    out = StringIO()
    call_command("webhooks", "schema", "--check", "--output", str(DOCUMENT), stdout=out)
    assert "up to date" in out.getvalue()
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n")
    with pytest.raises(SystemExit) as exit_:
        call_command("webhooks", "schema", "--check", "--output", str(stale), stderr=StringIO())
    assert exit_.value.code == 1


def test_cli_writes_the_document(tmp_path):
    target = tmp_path / "openapi.json"
    call_command("webhooks", "schema", "--output", str(target), stdout=StringIO())
    assert json.loads(target.read_text()) == openapi_document()


def test_every_endpoint_and_method_is_documented_with_its_errors():
    found = {
        (method, path): sorted(operation["responses"])
        for method, path, operation in operations(openapi_document())
    }
    assert found == {
        ("GET", "/webhooks"): ["200", "401", "403"],
        ("POST", "/webhooks"): ["201", "400", "401", "403", "413", "415"],
        ("GET", "/webhooks/{webhook_id}"): ["200", "401", "403", "404"],
        ("PUT", "/webhooks/{webhook_id}"): ["200", "400", "401", "403", "404", "413", "415"],
        ("PATCH", "/webhooks/{webhook_id}"): ["200", "400", "401", "403", "404", "413", "415"],
        ("DELETE", "/webhooks/{webhook_id}"): ["200", "401", "403", "404"],
        ("POST", "/webhooks/{webhook_id}/test"): ["200", "401", "403", "404", "429"],
        ("POST", "/webhooks/{webhook_id}/preview"): [
            *("200", "400", "401", "403", "404", "413", "415"),
        ],
        ("POST", "/webhooks/{webhook_id}/rotate-secret"): [
            *("200", "400", "401", "403", "404", "413", "415"),
        ],
        ("GET", "/webhooks/events"): ["200", "401", "403"],
        ("GET", "/webhooks/{webhook_id}/deliveries"): ["200", "400", "401", "403", "404"],
        ("GET", "/webhooks/{webhook_id}/deliveries/{delivery_id}"): [
            *("200", "401", "403", "404"),
        ],
        ("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): [
            *("202", "401", "403", "404", "409", "429", "503"),
        ],
        ("POST", "/webhooks/{webhook_id}/replay"): [
            *("202", "400", "401", "403", "404", "413", "415", "429"),
        ],
    }


def test_each_operation_has_its_own_id_though_put_and_patch_share_a_handler():
    ids = [operation["operationId"] for _, _, operation in operations(openapi_document())]
    assert len(ids) == len(set(ids))
    assert {"updateWebhook", "patchWebhook"} <= set(ids)


def test_errors_have_the_documented_shape():
    schemas = openapi_document()["components"]["schemas"]
    assert schemas["Error"]["required"] == ["code", "data", "message"]
    assert schemas["ErrorData"]["required"] == ["status"]
    assert "errors" in schemas["FieldErrorsData"]["properties"]
    assert "retry_after" in schemas["RateLimitData"]["properties"]
    test_send = openapi_document()["paths"][f"{PREFIX}/webhooks/{{webhook_id}}/test"]["post"]
    rate_limited = test_send["responses"]["429"]["content"]["application/json"]["schema"]
    assert rate_limited == {"$ref": "#/components/schemas/RateLimitError"}


def test_every_operation_takes_basic_session_and_bearer_auth():
    schemes = openapi_document()["components"]["securitySchemes"]
    assert schemes["basicAuth"] == {"type": "http", "scheme": "basic"}
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["cookieAuth"]["in"] == "cookie"
    for _, _, operation in operations(openapi_document()):
        assert operation["security"] == [{"basicAuth": []}, {"cookieAuth": []}, {"bearerAuth": []}]


def test_the_webhook_object_documents_every_field_the_api_returns(webhook):
    documented = set(openapi_document()["components"]["schemas"]["Webhook"]["properties"])
    assert documented == set(webhook_object(webhook, reveal_secret=False))


def documented_fields(component: str) -> set[str]:
    return set(openapi_document()["components"]["schemas"][component]["properties"])


def test_the_delivery_log_objects_document_every_field_the_api_returns(webhook):
    event = Event.objects.create(name="feed.created", body="{}")
    delivery = Delivery.objects.for_log().get(
        pk=Delivery.objects.create(event=event, webhook=webhook).pk
    )
    attempt = Attempt.objects.create(delivery=delivery, number=1)
    assert documented_fields("Delivery") == set(delivery_object(delivery))
    assert documented_fields("DeliveryDetail") == {
        *delivery_object(delivery),
        "payload",
        "attempts",
    }
    assert documented_fields("Attempt") == set(attempt_object(attempt))


def test_the_other_answers_document_every_field(api, webhook):
    rotated = api.post(f"{API}/{webhook.pk}/rotate-secret", {}, format="json").json()
    assert documented_fields("WebhookRotated") == set(rotated)
    [event, *_] = api.get(f"{API}/events").json()["events"]
    assert documented_fields("CatalogEvent") == set(event)


def test_the_document_takes_what_replay_and_rotation_take():
    assert request_schema_accepts(
        "ReplayRequest", {"since": "2024-01-15 10:00:00", "until": None, "events": None}
    )
    assert request_schema_accepts("ReplayRequest", {"since": "x", "events": ["feed.created"]})
    assert request_schema_accepts("SecretRotationRequest", {"grace_period": None})
    assert request_schema_accepts("SecretRotationRequest", {})


@pytest.mark.parametrize(
    ("component", "body"),
    [
        ("ReplayRequest", {}),
        ("ReplayRequest", {"since": None}),
        ("ReplayRequest", {"since": "2024-01-15 10:00:00", "events": ["*"]}),
        ("ReplayRequest", {"since": "2024-01-15 10:00:00", "events": ["webhook.test"]}),
        ("ReplayRequest", {"since": "2024-01-15 10:00:00", "only_failed": None}),
        ("SecretRotationRequest", {"grace_period": -1}),
        ("SecretRotationRequest", {"grace_period": 7 * 24 * 3600 + 1}),
        ("SecretRotationRequest", {"grace_period": True}),
        ("SecretRotationRequest", {"grace_period": "60"}),
    ],
)
def test_the_document_refuses_what_replay_and_rotation_refuse(component, body):
    assert not request_schema_accepts(component, body)


def test_the_host_sites_schema_settings_change_nothing(settings):
    before = openapi_document()
    settings.REST_FRAMEWORK = {
        **getattr(settings, "REST_FRAMEWORK", {}),
        "DEFAULT_SCHEMA_CLASS": "rest_framework.schemas.openapi.AutoSchema",
    }
    settings.SPECTACULAR_SETTINGS = {"TITLE": "Host API", "COMPONENT_SPLIT_REQUEST": False}
    from drf_spectacular.settings import spectacular_settings

    spectacular_settings.reload()
    try:
        assert openapi_document() == before
    finally:
        del settings.SPECTACULAR_SETTINGS
        spectacular_settings.reload()


def test_a_new_view_needs_only_its_operation_to_get_the_shared_errors():
    @api_schema.documented(
        post=extend_schema(
            operation_id="rotateSecret",
            parameters=[api_schema.WEBHOOK_ID],
            request=None,
            responses={
                200: shapes.WebhookSerializer,
                409: api_schema.error_response("`conflict`: busy."),
            },
        )
    )
    class RotateView(WebhookAPIView):
        def post(self, request, webhook_id):
            raise NotImplementedError

    from django.urls import re_path
    from drf_spectacular.generators import SchemaGenerator

    patterns = [re_path(r"^webhooks/(?P<webhook_id>[^/]+)/rotate/?$", RotateView.as_view())]
    from drf_spectacular.settings import patched_settings

    with patched_settings(api_schema.SETTINGS):
        document = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    operation = document["paths"]["/webhooks/{webhook_id}/rotate"]["post"]
    assert sorted(operation["responses"]) == ["200", "401", "403", "404", "409"]
    assert operation["operationId"] == "rotateSecret"


def request_schema_accepts(component: str, body: dict) -> bool:
    document = openapi_document()
    validator = jsonschema.Draft7Validator(
        {
            "$ref": f"#/components/schemas/{component}",
            "components": as_json_schema(document["components"]),
        }
    )
    return validator.is_valid(body)


def as_json_schema(node):
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema says it (as Schemathesis reads it)."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: as_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") and "type" in node:
        converted["type"] = [node["type"], "null"]
    return converted


def test_the_document_accepts_what_the_api_accepts(api):
    # Schemathesis found the document stricter than rules.py: a number as a name, a whole
    # number as a string as a retry count, and an empty header value are all taken.
    body = {
        "name": 5,
        "url": "https://hooks.example.com/x",
        "events": ["feed.created"],
        "retry_count": "3",
        "headers": {"X-Empty": ""},
    }
    assert request_schema_accepts("WebhookNewRequest", body)
    assert api.post(API, body, format="json").status_code == 201
    assert request_schema_accepts("PatchedWebhookChangesRequest", {"retry_count": 2.0})


def test_the_document_refuses_what_the_api_refuses():
    assert not request_schema_accepts("WebhookNewRequest", {"name": "x", "url": "https://a.b"})
    assert not request_schema_accepts(
        "WebhookNewRequest", {"name": "x", "url": "https://a.b", "events": ["no.such.event"]}
    )
    assert not request_schema_accepts("PatchedWebhookChangesRequest", {"retry_count": 11})
