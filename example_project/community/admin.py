"""The community's objects in the admin: the pages Slack and Discord messages link to."""

from django.contrib import admin

from .models import Comment, Course, Feed, Lesson, Profile, Report, Space

for model in (Comment, Course, Feed, Lesson, Profile, Report, Space):
    admin.site.register(model)
