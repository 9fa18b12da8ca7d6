"""Create (or reset) the demo's administrator and print how to log in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "admin"
PASSWORD = "admin"  # a local demo login, printed on purpose


class Command(BaseCommand):
    help = "Create the demo administrator (admin/admin) and print the login."

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=USERNAME, defaults={"email": "admin@example.com"}
        )
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(PASSWORD)
        user.save()
        self.stdout.write(
            self.style.SUCCESS(
                f"Administrator: username '{USERNAME}', password '{PASSWORD}'\n"
                "  Admin: http://127.0.0.1:8000/admin/\n"
                "  API:   curl -u admin:admin "
                "http://127.0.0.1:8000/wp-json/fluent-community/v2/admin/webhooks"
            )
        )
