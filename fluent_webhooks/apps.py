from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class FluentWebhooksConfig(AppConfig):
    name = "fluent_webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from .checks import check_settings

        checks.register(check_settings, checks.Tags.compatibility)
        # Host apps declare their signal bindings in webhooks.py, as they do admin in admin.py.
        autodiscover_modules("webhooks")
