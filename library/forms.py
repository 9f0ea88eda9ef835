"""The story-splitting form of the create page."""

from __future__ import annotations

from django import forms

from renders.pipeline.plan import MAX_NARRATION_CHARS


class SplitStoryForm(forms.Form):
    story = forms.CharField(
        label="Your story",
        max_length=MAX_NARRATION_CHARS * 20,
        help_text="Paste it in Hindi or English; each scene gets a few sentences and a suggested image prompt.",
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "एक समय की बात है… / Once upon a time…"}),
    )
    sentences_per_scene = forms.TypedChoiceField(
        label="Sentences per scene",
        choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4")],
        coerce=int,
        initial=2,
    )
