"""Account pages: sign-up, password change and reset, and the profile with quotas, usage and API keys."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import address_limits
from accounts.forms import ApiKeyForm, SignupForm
from accounts.models import ApiKey
from accounts.selectors import api_keys_of
from accounts.services import api_key_create as create_key
from accounts.services import api_key_revoke as revoke_key
from accounts.services import ensure_profile


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("renders:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        # Accounts multiply per-user limits (renders a minute, videos a day): one address may
        # make only so many an hour.
        wait = address_limits.wait_if_over(
            scope="signup", request=request, limit=settings.SIGNUPS_PER_HOUR_PER_ADDRESS, window_sec=3600
        )
        if wait is not None:
            return _too_many(
                request,
                f"Too many accounts were created from this address; try again in {wait // 60 + 1} minutes.",
                wait,
            )
    if request.method == "POST" and form.is_valid():
        address_limits.count(scope="signup", request=request, window_sec=3600)
        user = form.save()
        ensure_profile(user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.get_username()}! Start with a story or write your own.")
        return redirect("renders:dashboard")
    return render(request, "accounts/signup.html", {"form": form})


def _too_many(request: HttpRequest, message: str, wait: int) -> HttpResponse:
    response = render(request, "accounts/too_many.html", {"message": message}, status=429)
    response["Retry-After"] = str(wait)
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """A logged-in creator changes their password here (current one, then the new one twice)."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed. You stay logged in here.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view, with a limit on the e-mails one address can have sent (mail-bombing a victim)."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        wait = address_limits.wait_if_over(
            scope="password-reset",
            request=request,
            limit=settings.PASSWORD_RESETS_PER_HOUR_PER_ADDRESS,
            window_sec=3600,
        )
        if wait is not None:
            return _too_many(
                request,
                f"Too many password resets were asked from this address; try again in {wait // 60 + 1} minutes.",
                wait,
            )
        address_limits.count(scope="password-reset", request=request, window_sec=3600)
        return super().post(request, *args, **kwargs)


def _profile_page(
    request: HttpRequest, *, key_form: ApiKeyForm, new_key: ApiKey | None = None, raw_key: str = "", status: int = 200
) -> HttpResponse:
    profile = ensure_profile(request.user)
    context = {
        "profile": profile,
        "api_keys": api_keys_of(user=request.user),
        "key_form": key_form,
        "new_key": new_key,
        "raw_key": raw_key,
    }
    response = render(request, "accounts/profile.html", context, status=status)
    if raw_key:
        # The raw key is in this page only; keep it out of every cache and the back-forward cache.
        response["Cache-Control"] = "no-store"
    return response


# The new key waits in the server-side session between the POST that made it and the page that
# shows it (POST-redirect-GET: reloading that page creates nothing); the page takes it out, so it
# is shown exactly once. Never in a cookie: the profile view refuses to hand it over when the
# session engine keeps data client-side.
NEW_KEY_SESSION = "accounts.new_api_key"


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    new_key, raw_key = None, ""
    waiting = request.session.pop(NEW_KEY_SESSION, None)
    if isinstance(waiting, dict):
        new_key = ApiKey.objects.filter(pk=int(waiting.get("id") or 0), user_id=request.user.pk).first()
        raw_key = str(waiting.get("raw", "")) if new_key is not None else ""
    return _profile_page(request, key_form=ApiKeyForm(), new_key=new_key, raw_key=raw_key)


@login_required
@require_POST
def api_key_create(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, key_form=form, status=400)
    key, raw = create_key(user=request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]  # login_required
    if settings.SESSION_ENGINE.endswith("signed_cookies"):
        # A cookie session would carry the key to the browser and back: show it on this response.
        return _profile_page(request, key_form=ApiKeyForm(), new_key=key, raw_key=raw, status=201)
    request.session[NEW_KEY_SESSION] = {"id": key.pk, "raw": raw}
    return redirect(f"{reverse('accounts:profile')}#new-key", permanent=False)


@login_required
@require_http_methods(["GET", "POST"])
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    """GET asks to confirm (what stops working); POST revokes."""
    key = get_object_or_404(ApiKey, pk=key_id, user=request.user)
    if request.method == "GET":
        return render(request, "accounts/api_key_revoke.html", {"key": key})
    revoke_key(key=key)
    messages.success(request, f"Revoked “{key.name}” ({key.prefix}…). Requests using it are refused from now on.")
    return redirect("accounts:profile")
