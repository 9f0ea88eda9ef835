from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views

app_name = "accounts"

# Log in, log out and the password-reset flow are Django's own views (security-sensitive code we
# should not rewrite); they only need our templates and our namespaced URLs. The reset request is
# limited per address (views.PasswordResetView); failed logins are counted by django-axes.
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        views.PasswordResetView.as_view(
            template_name="accounts/password_reset_form.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path(
        "password/",
        views.PasswordChangeView.as_view(
            template_name="accounts/password_change_form.html", success_url=reverse_lazy("accounts:profile")
        ),
        name="password_change",
    ),
    path("profile/", views.profile, name="profile"),
    path("profile/keys/", views.api_key_create, name="api_key_create"),
    path("profile/keys/<int:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
