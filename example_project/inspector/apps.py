from django.apps import AppConfig


class InspectorConfig(AppConfig):
    name = "example_project.inspector"
    label = "inspector"
    verbose_name = "Webhook inspector"
    default_auto_field = "django.db.models.BigAutoField"
