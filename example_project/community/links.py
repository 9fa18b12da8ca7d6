"""Where a chat message about an event links to: the object's page (here, in the admin).

Set as ``FLUENT_WEBHOOKS["OBJECT_LINK"]``; a path is joined to ``SITE_URL``. ``data`` is the
event's payload data as ``payloads.py`` builds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import NoReverseMatch, reverse

# event group -> (the model's admin name, the data key holding its id)
_PAGES = {
    "feed": ("feed", "id"),
    "comment": ("comment", "id"),
    "reaction": ("feed", "object_id"),
    "space": ("space", "id"),
    "course": ("course", "course_id"),
    "lesson": ("lesson", "lesson_id"),
    "report": ("report", "id"),
}
_DELETED = ("feed.deleted", "comment.deleted", "space.deleted")


def object_link(event: str, data: Mapping[str, Any]) -> str | None:
    group = event.split(".", 1)[0]
    if event in _DELETED or group not in _PAGES:
        return None
    model, key = _PAGES[group]
    if group == "space" and event.startswith("space.member"):
        key = "space_id"
    object_id = data.get(key)
    if not isinstance(object_id, int):
        return None
    try:
        return reverse(f"admin:community_{model}_change", args=[object_id])
    except NoReverseMatch:
        return None
