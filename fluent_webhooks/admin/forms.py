"""The webhook form: events grouped as in the catalog; the rules are the model's (``rules.py``).

``Webhook.clean()`` applies the same rules as the API, and a ModelForm calls it, so the form
declares only how each field is edited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from ..events.catalog import ALL_EVENTS, registry
from ..models import Webhook
from ..rules import DEFAULT_RETRY_COUNT


def event_choices() -> list[tuple[str, Any]]:
    """``"*"`` first, then each catalog group's events with their descriptions."""
    choices: list[tuple[str, Any]] = [("All", [(ALL_EVENTS, "All events (*)")])]
    for group, events in registry.grouped().items():
        choices.append((group.title(), [(e.name, f"{e.name} — {e.description}") for e in events]))
    return choices


if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[Webhook]
else:  # generic only in django-stubs
    _ModelForm = forms.ModelForm


class WebhookForm(_ModelForm):
    # A plain text field: the URL rules (and their messages) are the API's, not URLField's.
    url = forms.CharField(label="URL", max_length=2048)
    events = forms.MultipleChoiceField(
        choices=event_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The events this webhook receives. 'All events' includes any added later.",
    )
    headers = forms.JSONField(
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text='Custom headers as a JSON object, e.g. {"X-API-Key": "..."}.',
    )
    retry_count = forms.IntegerField(initial=DEFAULT_RETRY_COUNT)

    class Meta:
        model = Webhook
        fields = ("name", "url", "events", "status", "headers", "retry_count")

    def clean_headers(self) -> Any:
        # An empty box means no custom headers; the rules then check what was typed.
        return self.cleaned_data.get("headers") or {}
