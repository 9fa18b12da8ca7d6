"""Each model change of the example community fires exactly its documented event, once."""

from __future__ import annotations

import json
import random

import pytest

from example_project.community.activity import STEPS, Scene, moderator
from fluent_webhooks import registry
from fluent_webhooks.models import Event
from tests.conftest import XPROFILE_KEYS

pytestmark = pytest.mark.django_db

# The keys each event's data carries at least (feed.* as in the spec's payload example).
FEED_KEYS = {"id", "user_id", "title", "message", "space_id", "created_at", "is_sticky", "slug"}
DATA_KEYS = {
    "feed": FEED_KEYS,
    "comment": {"id", "user_id", "post_id", "message", "created_at"},
    "reaction": {"id", "user_id", "object_id", "type"},
    "space": {"id", "title", "slug", "privacy", "created_at"},
    "space.member": {"space_id", "user_id", "role"},
    "user.registered": {"user_id", "username", "display_name"},
    "user.profile_updated": {"user_id", "username", "display_name"},
    "user.follow": {"follower_id", "followed_id"},
    "user.unfollow": {"follower_id", "followed_id"},
    "course": {"course_id", "user_id"},
    "lesson": {"lesson_id", "course_id", "user_id"},
    "report": {"id", "reporter_id", "reason", "status"},
}


def expected_keys(event: str) -> set[str]:
    for prefix in sorted(DATA_KEYS, key=len, reverse=True):
        if event.startswith(prefix):
            return DATA_KEYS[prefix]
    raise AssertionError(f"no expectation for {event}")


def test_the_steps_cover_all_24_documented_events():
    assert sorted(name for name, _ in STEPS) == sorted(registry.names())


@pytest.mark.parametrize(("position", "event"), [(i, name) for i, (name, _) in enumerate(STEPS)])
def test_model_change_fires_exactly_its_event(position, event):
    scene = Scene(rng=random.Random(position), moderator=moderator())
    for _, setup_step in STEPS[:position]:
        setup_step(scene)
    before = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    STEPS[position][1](scene)

    (fired,) = Event.objects.filter(pk__gt=before)
    assert fired.name == event
    payload = json.loads(fired.body)
    assert payload["event"] == event
    assert expected_keys(event) <= set(payload["data"])
    assert set(payload["xprofile"]) == XPROFILE_KEYS


def test_feed_payload_matches_the_documented_example():
    scene = Scene(rng=random.Random(1), moderator=moderator())
    for _, step in STEPS[:6]:  # up to feed.created
        step(scene)
    payload = json.loads(Event.objects.get(name="feed.created").body)
    data = payload["data"]
    assert data["id"] == scene.feed.pk
    assert data["user_id"] == scene.member.pk
    assert data["space_id"] == scene.space.pk
    assert data["is_sticky"] == 0
    assert len(data["created_at"]) == len("2024-01-15 10:30:00")
    xprofile = payload["xprofile"]
    assert xprofile["user_id"] == scene.member.pk
    assert xprofile["display_name"] == scene.member.profile.display_name
    assert set(xprofile["meta"]) == {"website", "cover_photo", "social_links", "badge_slug"}
