"""The community's signals mapped to the 24 documented events.

This is the module a host site writes: ``fluent_webhooks`` imports every installed app's
``webhooks.py`` at startup. Model signals cover most events; "what changed" comes from the
models' saved-value tracking, so edits made anywhere (views, the admin, the shell) fire them.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from fluent_webhooks import bind

from . import payloads
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


def created(created: bool, **kwargs: Any) -> bool:
    return created


def updated(created: bool, **kwargs: Any) -> bool:
    return not created


def changed(*fields: str, to: Any = None, exclude: tuple[str, ...] = ()):
    """A condition: an update (not a creation) that changed ``fields`` (any, if none named)."""

    def condition(instance: Any, created: bool, **kwargs: Any) -> bool:
        if created:
            return False
        diff = instance.changed_fields() - set(exclude)
        if fields:
            diff &= set(fields)
        if to is not None:
            return bool(diff) and all(getattr(instance, name) == to for name in diff)
        return bool(diff)

    return condition


def instance_data(build):
    return lambda instance, **kwargs: build(instance)


def by(attribute: str):
    return lambda instance, **kwargs: getattr(instance, attribute)


# Feed posts: pinning is its own event, so an edit of is_sticky alone is not feed.updated.
feed = instance_data(payloads.feed_data)
bind(post_save, "feed.created", sender=Feed, when=created, data=feed, user=by("user"))
bind(
    post_save,
    "feed.updated",
    sender=Feed,
    when=changed(exclude=("is_sticky",)),
    data=feed,
    user=by("user"),
)
bind(
    post_save,
    "feed.pinned",
    sender=Feed,
    when=changed("is_sticky", to=True),
    data=feed,
    user=by("user"),
)
bind(
    post_save,
    "feed.unpinned",
    sender=Feed,
    when=changed("is_sticky", to=False),
    data=feed,
    user=by("user"),
)
bind(post_delete, "feed.deleted", sender=Feed, data=feed, user=by("user"))

comment = instance_data(payloads.comment_data)
bind(post_save, "comment.created", sender=Comment, when=created, data=comment, user=by("user"))
bind(
    post_save,
    "comment.updated",
    sender=Comment,
    when=updated,
    data=comment,
    user=by("user"),
)
bind(post_delete, "comment.deleted", sender=Comment, data=comment, user=by("user"))

reaction = instance_data(payloads.reaction_data)
bind(post_save, "reaction.added", sender=Reaction, when=created, data=reaction, user=by("user"))
bind(post_delete, "reaction.removed", sender=Reaction, data=reaction, user=by("user"))

space = instance_data(payloads.space_data)
bind(post_save, "space.created", sender=Space, when=created, data=space, user=by("created_by"))
bind(
    post_save,
    "space.updated",
    sender=Space,
    when=updated,
    data=space,
    user=by("created_by"),
)
bind(post_delete, "space.deleted", sender=Space, data=space, user=by("created_by"))

membership = instance_data(payloads.membership_data)
bind(
    post_save,
    "space.member_joined",
    sender=SpaceMembership,
    when=created,
    data=membership,
    user=by("user"),
)
bind(post_delete, "space.member_left", sender=SpaceMembership, data=membership, user=by("user"))

# A member registers when their community profile is created.
profile = instance_data(payloads.profile_data)
bind(post_save, "user.registered", sender=Profile, when=created, data=profile, user=by("user"))
bind(
    post_save, "user.profile_updated", sender=Profile, when=changed(), data=profile, user=by("user")
)

follow = instance_data(payloads.follow_data)
bind(post_save, "user.followed", sender=Follow, when=created, data=follow, user=by("follower"))
bind(post_delete, "user.unfollowed", sender=Follow, data=follow, user=by("follower"))

enrollment = instance_data(payloads.enrollment_data)
bind(
    post_save, "course.enrolled", sender=Enrollment, when=created, data=enrollment, user=by("user")
)
bind(post_delete, "course.unenrolled", sender=Enrollment, data=enrollment, user=by("user"))
bind(
    post_save,
    "lesson.completed",
    sender=LessonCompletion,
    when=created,
    data=instance_data(payloads.completion_data),
    user=by("user"),
)

report = instance_data(payloads.report_data)
bind(post_save, "report.created", sender=Report, when=created, data=report, user=by("reporter"))
bind(
    post_save,
    "report.resolved",
    sender=Report,
    when=changed("status", to=Report.Status.RESOLVED),
    data=report,
    user=by("resolved_by"),
)
