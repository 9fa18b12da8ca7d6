from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "example_project.community"
    label = "community"
    verbose_name = "Community"
    default_auto_field = "django.db.models.BigAutoField"
