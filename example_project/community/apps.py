from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "example_project.community"
    label = "community"
    verbose_name = "Community"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        connection_created.connect(_sqlite_wal, dispatch_uid="community_sqlite_wal")


def _sqlite_wal(sender, connection, **kwargs) -> None:
    """Let the demo's web server read while its worker writes (SQLite only)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
