"""Mount under the site's API prefix, e.g. ``wp-json/fluent-community/v2/admin/``."""

from __future__ import annotations

from django.urls import re_path

from . import deliveries, views

app_name = "fluent_webhooks_api"

urlpatterns = [
    re_path(r"^webhooks/?$", views.WebhookListView.as_view(), name="webhook-list"),
    # Before webhook-detail, which would take "events" for a webhook id.
    re_path(r"^webhooks/events/?$", views.EventCatalogView.as_view(), name="event-catalog"),
    re_path(
        r"^webhooks/(?P<webhook_id>[^/]+)/?$",
        views.WebhookDetailView.as_view(),
        name="webhook-detail",
    ),
    re_path(
        r"^webhooks/(?P<webhook_id>[^/]+)/test/?$",
        views.WebhookTestView.as_view(),
        name="webhook-test",
    ),
    re_path(
        r"^webhooks/(?P<webhook_id>[^/]+)/preview/?$",
        views.WebhookPreviewView.as_view(),
        name="webhook-preview",
    ),
    re_path(
        r"^webhooks/(?P<webhook_id>[^/]+)/deliveries/?$",
        deliveries.DeliveryListView.as_view(),
        name="delivery-list",
    ),
    re_path(
        r"^webhooks/(?P<webhook_id>[^/]+)/deliveries/(?P<delivery_id>[^/]+)/?$",
        deliveries.DeliveryDetailView.as_view(),
        name="delivery-detail",
    ),
    re_path(
        r"^webhooks/(?P<webhook_id>[^/]+)/deliveries/(?P<delivery_id>[^/]+)/redeliver/?$",
        deliveries.RedeliverView.as_view(),
        name="delivery-redeliver",
    ),
    re_path(
        r"^webhooks/(?P<webhook_id>[^/]+)/replay/?$",
        deliveries.ReplayView.as_view(),
        name="webhook-replay",
    ),
    re_path(
        r"^webhooks/(?P<webhook_id>[^/]+)/rotate-secret/?$",
        views.WebhookRotateSecretView.as_view(),
        name="webhook-rotate-secret",
    ),
    re_path(r"^openapi\.json$", views.OpenAPIView.as_view(), name="openapi"),
    # Last: anything else under the prefix answers in the API's format, not Django's HTML.
    re_path(r"", views.NoRouteView.as_view(), name="no-route"),
]
