"""A small community modelled on Fluent Community's objects."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.text import slugify

from .tracking import ChangeTracking

User = settings.AUTH_USER_MODEL


class Profile(ChangeTracking):
    """A member's community profile: what the payload's ``xprofile`` describes."""

    tracked_fields = ("display_name", "short_description", "avatar", "website", "status")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=150)
    total_points = models.PositiveIntegerField(default=0)
    is_verified = models.BooleanField(default=False)
    status = models.CharField(max_length=20, default="active")
    avatar = models.URLField(blank=True)
    short_description = models.CharField(max_length=300, blank=True)
    website = models.URLField(blank=True)
    cover_photo = models.URLField(blank=True)
    social_links = models.JSONField(default=dict, blank=True)
    badge_slug = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.display_name


class Space(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220)
    description = models.TextField(blank=True)
    privacy = models.CharField(max_length=20, default="public")
    created_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="spaces_created")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.slug = self.slug or slugify(self.title)[:220]
        super().save(*args, **kwargs)


class SpaceMembership(models.Model):
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, default="member")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["space", "user"], name="one_membership")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.space_id}"


class Feed(ChangeTracking):
    """A feed post, with the fields of the API family's feed object."""

    tracked_fields = ("title", "message", "status", "privacy", "space_id", "is_sticky")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="feeds")
    parent_id = models.PositiveBigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=255, blank=True)
    slug = models.SlugField(max_length=255, blank=True)
    message = models.TextField()
    message_rendered = models.TextField(blank=True)
    type = models.CharField(max_length=30, default="text")
    content_type = models.CharField(max_length=30, default="text")
    space = models.ForeignKey(
        Space, null=True, blank=True, on_delete=models.CASCADE, related_name="feeds"
    )
    privacy = models.CharField(max_length=20, default="public")
    status = models.CharField(max_length=20, default="published")
    featured_image = models.URLField(blank=True)
    meta = models.JSONField(default=dict, blank=True)
    is_sticky = models.BooleanField(default=False)
    comments_count = models.PositiveIntegerField(default=0)
    reactions_count = models.PositiveIntegerField(default=0)
    priority = models.IntegerField(default=0)
    expired_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.title or self.message[:40]

    def save(self, *args, **kwargs) -> None:
        self.slug = self.slug or slugify(self.title or self.message[:40])[:255]
        self.message_rendered = f"<p>{self.message}</p>"
        super().save(*args, **kwargs)


class Comment(models.Model):
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.message[:40]


class Reaction(models.Model):
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reactions")
    type = models.CharField(max_length=20, default="like")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feed", "user", "type"], name="one_reaction")
        ]

    def __str__(self) -> str:
        return f"{self.type} by {self.user_id} on {self.feed_id}"


class Follow(models.Model):
    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following")
    followed = models.ForeignKey(User, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["follower", "followed"], name="one_follow")]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.followed_id}"


class Course(models.Model):
    title = models.CharField(max_length=200)
    space = models.ForeignKey(Space, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.title


class Enrollment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrollments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="one_enrollment")]

    def __str__(self) -> str:
        return f"{self.user_id} in course {self.course_id}"


class LessonCompletion(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="completions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lesson", "user"], name="one_completion")]

    def __str__(self) -> str:
        return f"{self.user_id} completed {self.lesson_id}"


class Report(ChangeTracking):
    """A moderation report on a post or a comment."""

    tracked_fields = ("status",)

    class Status(models.TextChoices):
        OPEN = "open"
        RESOLVED = "resolved"

    reporter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reports")
    feed = models.ForeignKey(Feed, null=True, blank=True, on_delete=models.SET_NULL)
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Report {self.pk} ({self.status})"
