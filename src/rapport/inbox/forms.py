"""Forms for the desk's actions; they validate input, services do the work."""

from __future__ import annotations

from django import forms

from rapport.inbox.models import Label
from rapport.inbox.services import MAX_REPLY_CHARS


class LabelForm(forms.Form):
    label = forms.ChoiceField(choices=Label.choices)


class ReplyForm(forms.Form):
    text = forms.CharField(
        max_length=MAX_REPLY_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Write your reply"}),
    )


class AcknowledgeForm(forms.Form):
    """``seen_at`` is when the appreciation tab was drawn; later thanks stay open."""

    seen_at = forms.DateTimeField()
