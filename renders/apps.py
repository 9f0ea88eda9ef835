from django.apps import AppConfig


class RendersConfig(AppConfig):
    name = "renders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from renders import worker_shutdown

        post_spawn.connect(worker_shutdown.install, dispatch_uid="renders.worker_shutdown")
