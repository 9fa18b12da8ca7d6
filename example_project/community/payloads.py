"""Each object's ``data`` in the API family's form, and the ``xprofile`` of a member."""

from __future__ import annotations

from typing import Any

from fluent_webhooks.formats import api_datetime

from .models import (
    Comment,
    Enrollment,
    Feed,
    Follow,
    LessonCompletion,
    Profile,
    Reaction,
    Report,
    Space,
    SpaceMembership,
)

FEED_FIELDS = (
    "id",
    "user_id",
    "parent_id",
    "title",
    "slug",
    "message",
    "message_rendered",
    "type",
    "content_type",
    "space_id",
    "privacy",
    "status",
    "featured_image",
    "meta",
    "is_sticky",
    "comments_count",
    "reactions_count",
    "priority",
    "expired_at",
    "scheduled_at",
    "created_at",
    "updated_at",
)


def feed_data(feed: Feed) -> dict[str, Any]:
    data = {name: getattr(feed, name) for name in FEED_FIELDS}
    data["is_sticky"] = int(feed.is_sticky)  # the API family writes flags as 0/1
    return data


def comment_data(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "user_id": comment.user_id,
        "post_id": comment.feed_id,
        "parent_id": comment.parent_id,
        "message": comment.message,
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
    }


def reaction_data(reaction: Reaction) -> dict[str, Any]:
    return {
        "id": reaction.pk,
        "user_id": reaction.user_id,
        "object_id": reaction.feed_id,
        "object_type": "feed",
        "type": reaction.type,
        "created_at": reaction.created_at,
    }


def space_data(space: Space) -> dict[str, Any]:
    return {
        "id": space.pk,
        "title": space.title,
        "slug": space.slug,
        "description": space.description,
        "privacy": space.privacy,
        "created_by": space.created_by_id,
        "created_at": space.created_at,
        "updated_at": space.updated_at,
    }


def membership_data(membership: SpaceMembership) -> dict[str, Any]:
    return {
        "space_id": membership.space_id,
        "user_id": membership.user_id,
        "role": membership.role,
        "created_at": membership.created_at,
    }


def profile_data(profile: Profile) -> dict[str, Any]:
    return {
        "user_id": profile.user_id,
        "username": profile.user.get_username(),
        "display_name": profile.display_name,
        "short_description": profile.short_description,
        "status": profile.status,
        "created_at": profile.created_at,
    }


def follow_data(follow: Follow) -> dict[str, Any]:
    return {
        "follower_id": follow.follower_id,
        "followed_id": follow.followed_id,
        "created_at": follow.created_at,
    }


def enrollment_data(enrollment: Enrollment) -> dict[str, Any]:
    return {
        "course_id": enrollment.course_id,
        "course_title": enrollment.course.title,
        "user_id": enrollment.user_id,
        "created_at": enrollment.created_at,
    }


def completion_data(completion: LessonCompletion) -> dict[str, Any]:
    return {
        "lesson_id": completion.lesson_id,
        "lesson_title": completion.lesson.title,
        "course_id": completion.lesson.course_id,
        "user_id": completion.user_id,
        "created_at": completion.created_at,
    }


def report_data(report: Report) -> dict[str, Any]:
    return {
        "id": report.pk,
        "reporter_id": report.reporter_id,
        "feed_id": report.feed_id,
        "comment_id": report.comment_id,
        "reason": report.reason,
        "status": report.status,
        "resolved_by": report.resolved_by_id,
        "resolved_at": report.resolved_at,
        "created_at": report.created_at,
    }


def xprofile(user: Any) -> dict[str, Any]:
    """The documented ``xprofile`` from the member's profile (``XPROFILE_BUILDER``)."""
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        from fluent_webhooks.events.xprofile import default_xprofile

        return default_xprofile(user)
    return {
        "user_id": user.pk,
        "total_points": profile.total_points,
        "is_verified": int(profile.is_verified),
        "status": profile.status,
        "display_name": profile.display_name,
        "username": user.get_username(),
        "avatar": profile.avatar or None,
        "created_at": api_datetime(profile.created_at),
        "short_description": profile.short_description,
        "meta": {
            "website": profile.website,
            "cover_photo": profile.cover_photo,
            "social_links": profile.social_links,
            "badge_slug": profile.badge_slug,
        },
        "badge": None,
    }
