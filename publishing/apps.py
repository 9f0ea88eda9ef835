from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from publishing.services.series import SERIES_PUBLISHER
        from renders.series_publishing import register_series_publisher

        register_series_publisher(SERIES_PUBLISHER)  # a series' publications, one per item
