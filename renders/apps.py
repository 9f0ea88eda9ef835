import logging
import threading

from django.apps import AppConfig

from bhakti import health

logger = logging.getLogger("renders")


class RendersConfig(AppConfig):
    name = "renders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the API's answers to this app's exceptions (bhakti.api.errors.translates).
        from renders.api import errors  # noqa: F401

        # A shut-down model would send every scene to the offline provider: say so at start-up.
        from renders.providers_config import configuration_warnings

        for line in configuration_warnings():
            logger.warning("provider configuration: %s", line)
        if configuration_warnings not in health.WARNING_SOURCES:
            health.WARNING_SOURCES.append(configuration_warnings)  # listed by /readyz

        # Every 429 from a cloud provider becomes an audit row, which /metrics/prometheus counts
        # per provider (provider_rate_limited_total) for the "429 storm" alert.
        from renders.pipeline.providers.retry import observe_rate_limits

        observe_rate_limits(_record_provider_rate_limit)

        from django_q.signals import post_spawn

        from renders import worker_shutdown

        post_spawn.connect(worker_shutdown.install, dispatch_uid="renders.worker_shutdown")

        # After every migrate, not only the one that added the column: SQLite loses a table's
        # triggers when a later migration rebuilds it.
        from django.db.models.signals import post_migrate, pre_migrate

        from renders.job_version import drop_before_migrate, install_after_migrate

        pre_migrate.connect(drop_before_migrate, sender=self, dispatch_uid="renders.job_version.drop")
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="renders.job_version")


def _record_provider_rate_limit(provider: str) -> None:
    from django.db import connection

    from accounts import audit

    audit.record(audit.Action.PROVIDER_THROTTLED, detail=provider)
    if threading.current_thread() is not threading.main_thread() and not connection.in_atomic_block:
        # A pipeline thread (a still painted beside others) opened a connection of its own for
        # this row; nothing else on that thread uses the database, so it is not left open.
        connection.close()
