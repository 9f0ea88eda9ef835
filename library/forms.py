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
