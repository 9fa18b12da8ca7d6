"""The webhook form: the API's validation rules, events grouped as in the catalog."""

from __future__ import annotations

from typing import Any

from django import forms

from ..destinations import validate_webhook_url
from ..events import ALL_EVENTS, registry
from ..exceptions import InvalidHeaders, InvalidWebhookURL
from ..headers import validate_custom_headers
from ..models import MAX_RETRY_COUNT, Webhook


def event_choices() -> list[tuple[str, Any]]:
    """``"*"`` first, then each catalog group's events with their descriptions."""
    choices: list[tuple[str, Any]] = [("All", [(ALL_EVENTS, "All events (*)")])]
    for group, events in registry.grouped().items():
        choices.append((group.title(), [(e.name, f"{e.name} — {e.description}") for e in events]))
    return choices


class WebhookForm(forms.ModelForm):
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
    retry_count = forms.IntegerField(min_value=0, max_value=MAX_RETRY_COUNT, initial=3)

    class Meta:
        model = Webhook
        fields = ("name", "url", "events", "status", "headers", "retry_count")

    def clean_url(self) -> str:
        try:
            return validate_webhook_url(self.cleaned_data["url"])
        except InvalidWebhookURL as error:
            raise forms.ValidationError(str(error)) from None

    def clean_headers(self) -> dict[str, str]:
        try:
            return validate_custom_headers(self.cleaned_data.get("headers") or {})
        except InvalidHeaders as error:
            raise forms.ValidationError(str(error)) from None

    def clean_events(self) -> list[str]:
        return list(dict.fromkeys(self.cleaned_data["events"]))
