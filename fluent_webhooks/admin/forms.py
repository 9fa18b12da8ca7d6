"""The webhook form: events grouped as in the catalog; the rules are the model's (``rules.py``).

``Webhook.clean()`` applies the same rules as the API, and a ModelForm calls it, so the form
declares only how each field is edited.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from ..bounded_json import TOO_DEEP, JSONTooDeep, check_depth
from ..choices import WebhookFormat
from ..events.catalog import ALL_EVENTS, registry
from ..models import Webhook
from ..redaction import mask_headers
from ..rules import DEFAULT_RETRY_COUNT, WebhookInvalid, headers_after_update

AUTOMATIC = ""


def event_choices() -> list[tuple[str, Any]]:
    """``"*"`` first, then each catalog group's events with their descriptions."""
    choices: list[tuple[str, Any]] = [("All", [(ALL_EVENTS, "All events (*)")])]
    for group, events in registry.grouped().items():
        choices.append((group.title(), [(e.name, f"{e.name} — {e.description}") for e in events]))
    return choices


class BoundedJSONField(forms.JSONField):
    """Django's JSON field, answering hostile nesting with a form error instead of a crash."""

    def to_python(self, value: Any) -> Any:
        try:
            return check_depth(super().to_python(value))
        except (RecursionError, JSONTooDeep):
            raise ValidationError(TOO_DEEP, code="invalid") from None

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            return super().bound_data(data, initial)
        except RecursionError:  # shown back as typed, with the error beside it
            return forms.fields.InvalidJSONInput(data)


class IndentedJSONField(BoundedJSONField):
    """JSON shown indented, so a template reads as the document it is, not one long line."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        if value is None:  # no template: an empty box, not the word null
            return ""
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


if TYPE_CHECKING:
    _ModelForm = forms.ModelForm[Webhook]
else:  # generic only in django-stubs
    _ModelForm = forms.ModelForm


class WebhookForm(_ModelForm):
    # A plain text field: the URL rules (and their messages) are the API's, not URLField's.
    # A box that wraps, so a long URL is seen whole; a line break in it is refused by the rules.
    url = forms.CharField(
        label="URL",
        max_length=2048,
        widget=forms.Textarea(attrs={"rows": 1, "class": "fw-url-input", "spellcheck": "false"}),
    )
    events = forms.MultipleChoiceField(
        choices=event_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The events this webhook receives. 'All events' includes any added later.",
    )
    headers = BoundedJSONField(
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text='Custom headers as a JSON object, e.g. {"X-API-Key": "..."}. Saved values '
        "show masked: leave a masked value as it is to keep it. Moving the URL to another host "
        "clears every value not typed again.",
    )
    retry_count = forms.IntegerField(initial=DEFAULT_RETRY_COUNT)
    format = forms.ChoiceField(
        choices=[(AUTOMATIC, "Automatic, from the URL"), *WebhookFormat.choices],
        required=False,
        help_text="What the receiver gets. Automatic: a Slack message for hooks.slack.com, a "
        "Discord message for discord.com/api/webhooks, the Fluent payload for anything else.",
    )

    template = IndentedJSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 80}),
        help_text="For the 'Your template' format: the JSON to send, with placeholders such as "
        '{{ event }}, {{ data.title }} or {{ xprofile.display_name | default:"someone" }}.',
    )

    class Meta:
        model = Webhook
        fields = (
            "name",
            "url",
            "events",
            "status",
            "format",
            "template",
            "headers",
            "retry_count",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None or self.instance.format_auto:
            self.initial["format"] = AUTOMATIC
        if self.instance.pk is not None:  # credentials: never sent back to the browser
            self.initial["headers"] = mask_headers(self.instance.headers)
        # Header names cleared because the URL moved to another host (the admin says so).
        self.cleared_headers: tuple[str, ...] = ()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        headers = cleaned.get("headers")
        if self.instance.pk is not None and "url" in cleaned and isinstance(headers, dict):
            # Before the model's rules: masked values become the stored ones (or are dropped
            # when the URL moved to another host). ``self.instance`` still holds the saved URL.
            try:
                after = headers_after_update(
                    url=cleaned["url"],
                    headers=headers,
                    current_url=self.instance.url,
                    current_headers=self.instance.headers,
                )
            except WebhookInvalid as error:
                self.add_error("headers", error.errors["headers"])
                return cleaned
            cleaned["headers"] = after.headers
            self.cleared_headers = after.cleared
        return cleaned

    def clean_format(self) -> str:
        chosen = self.cleaned_data.get("format") or AUTOMATIC
        # Automatic: the model's rules choose from the URL, now and whenever it changes.
        self.instance.format_auto = chosen == AUTOMATIC
        return "" if chosen == AUTOMATIC else chosen

    def clean_headers(self) -> Any:
        # An empty box means no custom headers; the rules then check what was typed.
        return self.cleaned_data.get("headers") or {}
