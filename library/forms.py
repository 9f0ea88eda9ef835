"""The story gallery's search and tag filter."""

from __future__ import annotations

from typing import Any

from django import forms


class StoryFilterForm(forms.Form):
    """The gallery's search box and tag filter; bad values are ignored rather than refused (it is only a view)."""

    q = forms.CharField(
        required=False,
        max_length=100,
        label="Find a story",
        help_text="Any of its names, in English or Hindi: Prahlad, Narasimha, प्रह्लाद, नरसिंह…",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Prahlad, नरसिंह, Ganga…"}),
    )
    tag = forms.ChoiceField(required=False, choices=())

    def __init__(self, *args: Any, tags: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tag_field = self.fields["tag"]
        assert isinstance(tag_field, forms.ChoiceField)
        tag_field.choices = [("", "All"), *((tag, tag) for tag in tags)]

    def filters(self) -> tuple[str, str]:
        """The search words and the tag to show (each empty for none)."""
        if not self.is_valid():
            return "", ""
        return self.cleaned_data["q"].strip(), self.cleaned_data["tag"]


# --- A series from the gallery -----------------------------------------------------------------------

MADE_FOR_KIDS_CHOICES = [("", "Choose…"), ("no", "No, it is not made for kids"), ("yes", "Yes, it is made for kids")]
PRIVACY_CHOICES = [("public", "Public"), ("unlisted", "Unlisted"), ("private", "Private")]
LANGUAGE_CHOICES = [("en", "English"), ("hi", "Hindi (हिन्दी)")]


class SeriesForm(forms.Form):
    """Stories × languages × lengths become the series' items, in that order (the publication order)."""

    title = forms.CharField(max_length=120, help_text="Shown on your series list, e.g. “Daily stories, December”.")
    stories = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple, label="Stories")
    languages = forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=["en"],
        help_text="Both: each story twice, once in each language.",
    )
    lengths = forms.CharField(
        required=False,
        max_length=100,
        label="Lengths (seconds)",
        help_text="One or more, separated by commas, e.g. “60, 180”: each story at each length. "
        "Empty: each story at its own length.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "60, 180"}),
    )
    aspect = forms.ChoiceField(choices=[("16:9", "16:9 (YouTube)"), ("9:16", "9:16 (Shorts)"), ("1:1", "1:1")])
    mode = forms.ChoiceField(choices=[("final", "Final"), ("proxy", "Fast preview")], initial="final")
    schedule = forms.BooleanField(required=False, label="Publish on YouTube, one video per interval")
    start_date = forms.DateField(required=False, label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        required=False, label="Local time", initial="09:00", widget=forms.TimeInput(attrs={"type": "time"})
    )
    time_zone = forms.ChoiceField(choices=(), required=False, label="Time zone")
    every_days = forms.IntegerField(required=False, min_value=0, max_value=365, initial=1, label="Every … days")
    every_hours = forms.IntegerField(
        required=False, min_value=0, max_value=720, initial=0, label="and … hours", help_text="e.g. 1 day, 0 hours."
    )
    made_for_kids = forms.ChoiceField(
        choices=MADE_FOR_KIDS_CHOICES, required=False, label="Made for kids?", help_text="YouTube requires the answer."
    )
    privacy = forms.ChoiceField(choices=PRIVACY_CHOICES, required=False, initial="public")

    def __init__(
        self,
        *args: Any,
        stories: list[tuple[str, str]],
        time_zones: tuple[str, ...],
        max_items: int,
        max_length: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_items = max_items
        self.max_length = max_length
        story_field = self.fields["stories"]
        zone_field = self.fields["time_zone"]
        assert isinstance(story_field, forms.ChoiceField) and isinstance(zone_field, forms.ChoiceField)
        story_field.choices = stories
        zone_field.choices = [(name, name) for name in time_zones]

    def clean_lengths(self) -> list[int | None]:
        raw = self.cleaned_data["lengths"].replace(";", ",")
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        if not parts:
            return [None]
        lengths: list[int | None] = []
        for part in parts:
            if not part.isdigit() or not 5 <= int(part) <= self.max_length:
                raise forms.ValidationError(f"{part!r} is not a length: use whole seconds from 5 to {self.max_length}.")
            if int(part) not in lengths:
                lengths.append(int(part))
        return lengths

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        count = len(data.get("stories") or []) * len(data.get("languages") or []) * len(data.get("lengths") or [])
        if count > self.max_items:
            raise forms.ValidationError(
                f"That makes {count} videos; a series has at most {self.max_items}. Pick fewer stories, "
                "languages or lengths."
            )
        if data.get("schedule"):
            for name in ("start_date", "time", "time_zone", "made_for_kids"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, "Needed to schedule the series.")
            if not (data.get("every_days") or data.get("every_hours")) and "every_days" not in self.errors:
                self.add_error("every_days", "The interval must be at least one hour.")
        return data

    def items(self) -> list[tuple[str, str, int | None]]:
        """(story, language, length) per video, in publication order: story by story."""
        data = self.cleaned_data
        return [
            (story, language, length)
            for story in data["stories"]
            for language in data["languages"]
            for length in data["lengths"]
        ]
