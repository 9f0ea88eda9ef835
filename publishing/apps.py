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

        # The job page's polled region shows the YouTube panel under the context processor's rule.
        from publishing.context_processors import publishing_for
        from renders.poll_context import register_poll_context

        register_poll_context(publishing_for)

        # A publication shows in its job's status (the YouTube link): its changes bump the job's
        # version like the job's own files do (renders/job_version.py).
        from django.db.models.signals import post_migrate

        post_migrate.connect(install_publication_trigger, sender=self, dispatch_uid="publishing.job_version")


PUBLICATION_TABLE = (("publishing_publication", "job_id"),)


def install_publication_trigger(using: str = "default", **kwargs: object) -> None:
    from django.db import connections

    from renders.job_version import install_triggers

    install_triggers(connections[using], job_table=False, children=PUBLICATION_TABLE)
