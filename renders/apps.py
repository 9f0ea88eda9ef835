import logging

from django.apps import AppConfig

logger = logging.getLogger("renders")


class RendersConfig(AppConfig):
    name = "renders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A shut-down model would send every scene to the offline provider: say so at start-up.
        from renders.providers_config import configuration_warnings

        for line in configuration_warnings():
            logger.warning("provider configuration: %s", line)

        from django_q.signals import post_spawn

        from renders import worker_shutdown

        post_spawn.connect(worker_shutdown.install, dispatch_uid="renders.worker_shutdown")
