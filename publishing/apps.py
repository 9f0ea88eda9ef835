from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A video with a YouTube upload scheduled or under way is not deleted from under it.
        from publishing.selectors import active_publication_problem
        from renders.deletion import register_delete_guard

        register_delete_guard(active_publication_problem)

        from publishing.services.series import SERIES_PUBLISHER
        from renders.series_publishing import register_series_publisher

        register_series_publisher(SERIES_PUBLISHER)  # a series' publications, one per item
