from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import audit  # noqa: F401 - connects the login-failure receiver
        from accounts.key_cache import connect_receivers

        connect_receivers()
