"""Each documented event's ``data`` as the example community builds it, without a database:
the community's own builders called with stand-in objects. Shared by the message tests and the
end-to-end chat-service tests."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from example_project.community import payloads as community
from fluent_webhooks.events.catalog import BUILTIN_EVENTS

WHEN = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
XPROFILE = {
    "user_id": 45,
    "total_points": 6425,
    "is_verified": 1,
    "status": "active",
    "display_name": "Ada Lovelace",
    "username": "ada",
    "avatar": None,
    "created_at": "2024-03-05 16:37:02",
    "short_description": "Analyst",
    "meta": {"website": "", "cover_photo": "", "social_links": {}, "badge_slug": []},
    "badge": None,
}


def _ns(**attributes: Any) -> SimpleNamespace:
    return SimpleNamespace(**attributes)


def community_data() -> dict[str, dict[str, Any]]:
    """Each event's ``data`` as the example community builds it."""
    stamps = {"created_at": WHEN, "updated_at": WHEN}
    feed = _ns(
        **{
            **dict.fromkeys(community.FEED_FIELDS),
            **stamps,
            "id": 123,
            "user_id": 45,
            "title": "Welcome to our community!",
            "message": "We're excited to have you here...",
            "space_id": 12,
            "is_sticky": True,
            "slug": "welcome-to-our-community",
            "message_rendered": "<p>We're excited to have you here...</p>",
            "type": "text",
            "content_type": "text",
            "privacy": "public",
            "status": "published",
            "featured_image": None,
            "meta": {},
            "comments_count": 2,
            "reactions_count": 5,
            "priority": 0,
            "parent_id": None,
        }
    )
    comment = _ns(pk=7, user_id=45, feed_id=123, parent_id=None, message="Great idea!", **stamps)
    reaction = _ns(pk=3, user_id=45, feed_id=123, type="like", created_at=WHEN)
    space = _ns(
        pk=12,
        title="Makers",
        slug="makers",
        description="Build things",
        privacy="public",
        created_by_id=45,
        **stamps,
    )
    membership = _ns(space_id=12, user_id=45, role="member", created_at=WHEN)
    profile = _ns(
        user_id=45,
        user=_ns(get_username=lambda: "ada"),
        display_name="Ada Lovelace",
        short_description="Analyst",
        status="active",
        created_at=WHEN,
    )
    follow = _ns(follower_id=45, followed_id=46, created_at=WHEN)
    enrollment = _ns(course_id=3, course=_ns(title="Python 101"), user_id=45, created_at=WHEN)
    completion = _ns(
        lesson_id=9, lesson=_ns(title="Loops", course_id=3), user_id=45, created_at=WHEN
    )
    report = _ns(
        pk=5,
        reporter_id=45,
        feed_id=None,
        comment_id=7,
        reason="Spam",
        status="open",
        resolved_by_id=None,
        resolved_at=None,
        created_at=WHEN,
    )
    builders = {
        "feed": community.feed_data(feed),
        "comment": community.comment_data(comment),
        "reaction": community.reaction_data(reaction),
        "space": community.space_data(space),
        "member": community.membership_data(membership),
        "user": community.profile_data(profile),
        "follow": community.follow_data(follow),
        "course": community.enrollment_data(enrollment),
        "lesson": community.completion_data(completion),
        "report": community.report_data(report),
    }

    def pick(event: str) -> dict[str, Any]:
        group, action = event.split(".")
        if group == "space" and action.startswith("member"):
            return builders["member"]
        if group == "user":
            return builders["follow" if "follow" in action else "user"]
        return builders[group]

    return {event.name: pick(event.name) for event in BUILTIN_EVENTS}


DATA = community_data()
