"""Account forms: sign-up (with the e-mail a password reset needs) and naming an API key."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from accounts.models import ApiKey


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label="E-mail",
        help_text="Used only to reset your password.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        # Password reset mails every account with the address; one account per address keeps it unambiguous.
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail already exists. Log in or reset its password.")
        return email


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Key name",
        max_length=ApiKey._meta.get_field("name").max_length,
        help_text="Say where the key is used, e.g. “n8n workflow” or “my laptop”.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. n8n workflow", "autocomplete": "off"}),
    )
