from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class FluentWebhooksConfig(AppConfig):
    name = "fluent_webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started
        from django.utils.module_loading import autodiscover_modules

        from .checks import check_settings
        from .dispatch import handoff

        checks.register(check_settings, checks.Tags.compatibility)
        request_started.connect(handoff.request_started, dispatch_uid="fluent_webhooks_handoff")
        request_finished.connect(handoff.request_finished, dispatch_uid="fluent_webhooks_handoff")
        # Host apps declare their signal bindings in webhooks.py, as they do admin in admin.py.
        autodiscover_modules("webhooks")
