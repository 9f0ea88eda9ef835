"""A creator's render usage, for the profile page (templates/accounts/profile.html).

A template tag rather than a value the accounts view computes: accounts sits below renders and
does not import it; the page composes the two.
"""

from __future__ import annotations

from django import template
from django.contrib.auth.models import AbstractBaseUser

from accounts.models import Profile
from renders.selectors import Usage, profile_usage

register = template.Library()


@register.simple_tag
def usage_of(user: AbstractBaseUser, profile: Profile) -> Usage:
    return profile_usage(user=user, profile=profile)
