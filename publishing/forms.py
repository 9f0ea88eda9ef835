from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from publishing.models import Privacy, Timing

DESCRIPTION_MAX_BYTES = 5000  # YouTube counts UTF-8 bytes, not characters


def validate_description_bytes(value: str) -> None:
    size = len(value.encode())
    if size > DESCRIPTION_MAX_BYTES:
        raise ValidationError(
            f"YouTube descriptions are at most {DESCRIPTION_MAX_BYTES} bytes; this one has {size} "
            f"({len(value)} characters; Hindi letters take 3 bytes each)."
        )


MADE_FOR_KIDS_CHOICES = [("no", "No, it's not made for kids"), ("yes", "Yes, it's made for kids")]


class ScheduleForm(forms.Form):
    """What a creator fills in to put a video on YouTube. The service checks YouTube's rules too."""

    title = forms.CharField(max_length=100)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, validators=[validate_description_bytes]
    )
    tags = forms.CharField(required=False, max_length=500, help_text="Comma-separated, e.g. bhakti, prahlad, story")
    category_id = forms.CharField(required=False, max_length=4, help_text="YouTube category id (22 is People & Blogs)")
    privacy = forms.ChoiceField(choices=Privacy.choices, initial=Privacy.PRIVATE)
    # No initial value on purpose: YouTube requires the creator's own answer.
    made_for_kids = forms.TypedChoiceField(
        choices=MADE_FOR_KIDS_CHOICES,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        label="Made for kids?",
    )
    contains_synthetic_media = forms.BooleanField(
        required=False,
        label="Altered or synthetic content",
        help_text="Tells YouTube the video has realistic AI-made voice or pictures. Ticked when an AI voice or "
        "AI art made this render.",
    )
    publish_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Empty: upload now. Times are in UTC.",
    )
    timing = forms.ChoiceField(choices=Timing.choices, initial=Timing.UPLOAD_WHEN_DUE, widget=forms.RadioSelect)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["category_id"].initial = settings.YOUTUBE_CATEGORY_ID

    def clean_tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]
