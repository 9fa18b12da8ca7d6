"""Realistic community activity, one documented event per step, through the real models.

``STEPS`` runs in an order in which each step finds what it needs (a post to pin, a comment
to delete); a run of 24 steps or more covers every event.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .models import (
    Comment,
    Course,
    Enrollment,
    Feed,
    Follow,
    Lesson,
    LessonCompletion,
    Profile,
    Reaction,
    Report,
    Space,
    SpaceMembership,
)

NAMES = ["Ada", "Grace", "Linus", "Guido", "Margaret", "Ken", "Barbara", "Dennis", "Frances"]
TOPICS = ["Django tips", "Weekly wins", "Café meetup ☕", "Release notes 🚀", "Office hours"]
MESSAGES = [
    "We're excited to have you here…",
    "Anyone tried the new async ORM?",
    'Quick poll: "tabs" or "spaces"?',
    "Slides are up at https://example.com/talks/42 — enjoy!",
    "Grüße aus Zürich! 👋",
]


@dataclass
class Scene:
    """What the current cycle of steps has made so far."""

    rng: random.Random
    moderator: Any
    member: Any = None
    space: Space | None = None
    membership: SpaceMembership | None = None
    feed: Feed | None = None
    comment: Comment | None = None
    reaction: Reaction | None = None
    follow: Follow | None = None
    enrollment: Enrollment | None = None
    report: Report | None = None
    counter: int = field(default=0)

    def pick(self, options: list[str]) -> str:
        return self.rng.choice(options)


def register(scene: Scene) -> None:
    scene.counter += 1
    name = scene.pick(NAMES)
    username = f"{name.lower()}{timezone.now():%H%M%S}{scene.rng.randrange(10**6)}"
    scene.member = get_user_model().objects.create_user(username, f"{username}@example.com")
    Profile.objects.create(user=scene.member, display_name=f"{name} {scene.counter}")


def update_profile(scene: Scene) -> None:
    profile = scene.member.profile
    profile.short_description = f"Loves {scene.pick(TOPICS)}"
    profile.save()


def create_space(scene: Scene) -> None:
    scene.space = Space.objects.create(title=scene.pick(TOPICS), created_by=scene.moderator)


def update_space(scene: Scene) -> None:
    scene.space.description = scene.pick(MESSAGES)
    scene.space.save()


def join_space(scene: Scene) -> None:
    scene.membership = SpaceMembership.objects.create(space=scene.space, user=scene.member)


def create_feed(scene: Scene) -> None:
    scene.feed = Feed.objects.create(
        user=scene.member, space=scene.space, title=scene.pick(TOPICS), message=scene.pick(MESSAGES)
    )


def update_feed(scene: Scene) -> None:
    scene.feed.message += " (edited)"
    scene.feed.save()


def pin_feed(scene: Scene) -> None:
    scene.feed.is_sticky = True
    scene.feed.save()


def unpin_feed(scene: Scene) -> None:
    scene.feed.is_sticky = False
    scene.feed.save()


def create_comment(scene: Scene) -> None:
    scene.comment = Comment.objects.create(
        feed=scene.feed, user=scene.moderator, message=scene.pick(MESSAGES)
    )


def update_comment(scene: Scene) -> None:
    scene.comment.message += " Thanks!"
    scene.comment.save()


def add_reaction(scene: Scene) -> None:
    scene.reaction = Reaction.objects.create(feed=scene.feed, user=scene.moderator, type="like")


def remove_reaction(scene: Scene) -> None:
    scene.reaction.delete()


def delete_comment(scene: Scene) -> None:
    scene.comment.delete()


def follow(scene: Scene) -> None:
    scene.follow = Follow.objects.create(follower=scene.member, followed=scene.moderator)


def unfollow(scene: Scene) -> None:
    scene.follow.delete()


def enroll(scene: Scene) -> None:
    course, _ = Course.objects.get_or_create(title="Getting started with the community")
    if not course.lessons.exists():
        Lesson.objects.create(course=course, title="Say hello", position=1)
    scene.enrollment = Enrollment.objects.create(course=course, user=scene.member)


def complete_lesson(scene: Scene) -> None:
    lesson = scene.enrollment.course.lessons.order_by("position").first()
    LessonCompletion.objects.create(lesson=lesson, user=scene.member)


def unenroll(scene: Scene) -> None:
    scene.enrollment.delete()


def report_feed(scene: Scene) -> None:
    scene.report = Report.objects.create(
        reporter=scene.moderator, feed=scene.feed, reason="Off-topic for this space"
    )


def resolve_report(scene: Scene) -> None:
    scene.report.status = Report.Status.RESOLVED
    scene.report.resolved_by = scene.moderator
    scene.report.resolved_at = timezone.now()
    scene.report.save()


def delete_feed(scene: Scene) -> None:
    scene.feed.delete()


def leave_space(scene: Scene) -> None:
    scene.membership.delete()


def delete_space(scene: Scene) -> None:
    scene.space.delete()


STEPS: list[tuple[str, Callable[[Scene], None]]] = [
    ("user.registered", register),
    ("user.profile_updated", update_profile),
    ("space.created", create_space),
    ("space.updated", update_space),
    ("space.member_joined", join_space),
    ("feed.created", create_feed),
    ("feed.updated", update_feed),
    ("feed.pinned", pin_feed),
    ("feed.unpinned", unpin_feed),
    ("comment.created", create_comment),
    ("comment.updated", update_comment),
    ("reaction.added", add_reaction),
    ("reaction.removed", remove_reaction),
    ("comment.deleted", delete_comment),
    ("user.followed", follow),
    ("user.unfollowed", unfollow),
    ("course.enrolled", enroll),
    ("lesson.completed", complete_lesson),
    ("course.unenrolled", unenroll),
    ("report.created", report_feed),
    ("report.resolved", resolve_report),
    ("feed.deleted", delete_feed),
    ("space.member_left", leave_space),
    ("space.deleted", delete_space),
]


def moderator() -> Any:
    """The member who moderates the simulated community (created once, without events)."""
    user, created = get_user_model().objects.get_or_create(
        username="community-moderator", defaults={"email": "moderator@example.com"}
    )
    if created:  # bulk_create sends no post_save: the moderator's arrival is no event
        Profile.objects.bulk_create(
            [
                Profile(
                    user=user,
                    display_name="Community Moderator",
                    is_verified=True,
                    total_points=6425,
                    website="https://example.com",
                    social_links={"twitter": "@moderator"},
                    badge_slug=["moderator"],
                )
            ]
        )
    return user


def simulate(
    count: int, seed: int | None = None, progress: Callable[[int, str], None] | None = None
):
    """Run ``count`` steps, each in its own transaction; yields nothing, returns step names."""
    scene = Scene(rng=random.Random(seed), moderator=moderator())
    done = []
    for index in range(count):
        name, step = STEPS[index % len(STEPS)]
        if index % len(STEPS) == 0:
            scene = Scene(rng=scene.rng, moderator=scene.moderator, counter=scene.counter)
        with transaction.atomic():
            step(scene)
        done.append(name)
        if progress is not None:
            progress(index + 1, name)
    return done
