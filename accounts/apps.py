from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import (
            audit,  # noqa: F401 - connects the login-failure receiver
            key_cache,
            session_cache,
        )

        key_cache.connect_receivers()
        session_cache.connect_receivers()
