"""Every ```python block of README.md runs as written, against the example community.

Each block runs as the code of a module inside ``example_project.community``, so that
``from .models import Feed`` imports the example community's models, in a test database
transaction that is rolled back; the bindings a block makes are undone afterwards.

A block that cannot run on its own (a part of a site's settings.py, a fragment of a view) is
marked by an HTML comment on the last non-blank line before its opening fence, saying why:

    <!-- not run: a part of a site's settings.py; tests/test_install.py builds a site with it -->

Every block without that marker runs; a marker must give a reason.
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterator

import pytest

from example_project.community.models import Feed
from fluent_webhooks.events.bindings import bindings
from fluent_webhooks.models import Event
from tests.readme import README, Snippet, python_snippets

PACKAGE = "example_project.community"
SNIPPETS = python_snippets()


def run(snippet: Snippet) -> dict:
    """Execute ``snippet`` as a module of the example community; its namespace."""
    module = types.ModuleType(f"{PACKAGE}.readme_line_{snippet.line}")
    module.__package__ = PACKAGE
    exec(compile(snippet.code, str(snippet), "exec"), module.__dict__)
    return module.__dict__


@pytest.fixture
def bindings_restored() -> Iterator[None]:
    """The example community's bindings, as they were before a block rebound some."""
    before = list(bindings)
    yield
    bindings.reset()
    for binding in before:
        bindings.bind(
            binding.signal,
            binding.event,
            data=binding.data,
            sender=binding.sender,
            when=binding.when,
            user=binding.user,
            dispatch_uid=binding.dispatch_uid,
        )


def test_every_python_block_is_found_and_every_marker_gives_a_reason():
    assert len(SNIPPETS) == README.read_text().count("```python") > 0
    assert all(snippet.not_run for snippet in SNIPPETS if snippet.not_run is not None)


@pytest.mark.parametrize(
    "snippet", [snippet for snippet in SNIPPETS if snippet.not_run is None], ids=str
)
def test_every_python_block_of_the_readme_runs(snippet, db, bindings_restored):
    run(snippet)


def test_the_sending_events_example_emits_its_events(db, django_user_model, bindings_restored):
    (snippet,) = [s for s in SNIPPETS if s.code.startswith("# community/webhooks.py\n")]
    example = run(snippet)
    author = django_user_model.objects.create_user("ada")
    moderator = django_user_model.objects.create_user("grace")

    feed = Feed.objects.create(user=author, title="Hello", message="Welcome")
    example["feed_pinned"].send(Feed, feed=feed, user=moderator)

    created, pinned = (json.loads(e.body) for e in Event.objects.order_by("pk"))
    assert (created["event"], pinned["event"]) == ("feed.created", "feed.pinned")
    assert created["data"]["id"] == pinned["data"]["id"] == feed.pk
    assert set(created["data"]) == {"id", "user_id", "title", "message", "space_id", "created_at"}
    assert created["xprofile"]["username"] == "ada"
    assert pinned["xprofile"]["username"] == "grace"
