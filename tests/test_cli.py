"""``manage.py webhooks``: the subcommands operators run from a shell."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fluent_webhooks.models import Webhook

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("webhooks", *args, stdout=out)
    return out.getvalue()


def test_list_shows_each_webhook_with_its_status_and_url() -> None:
    Webhook.objects.create(name="CRM", url="https://crm.example.com/hook", events=["feed_created"])
    Webhook.objects.create(
        name="Old", url="https://old.example.com/hook", events=["feed_created"], status="inactive"
    )
    lines = run("list").splitlines()
    assert len(lines) == 2
    assert lines[0].split()[1:3] == ["active", "fluent"]
    assert "CRM  https://crm.example.com/hook" in lines[0]
    assert lines[1].split()[1] == "inactive"


def test_list_says_so_when_there_are_none() -> None:
    assert run("list").strip() == "No webhooks."


def test_an_unknown_subcommand_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(CommandError, match=r"invalid choice: 'nope'.*'list'"):
        run("nope")
