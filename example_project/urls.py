from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("wp-json/fluent-community/v2/admin/", include("fluent_webhooks.api.urls")),
    path("inspector/", include("example_project.inspector.urls")),
]
