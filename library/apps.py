from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "library"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the API's answers to this app's exceptions (bhakti.api.errors.translates).
        from library.api import errors  # noqa: F401
