"""Sentry: initialised only when SENTRY_DSN is set; events carry the job id and never a secret."""

from __future__ import annotations

from typing import Any

from bhakti.request_context import REDACTED, job_id_var, request_id_var, scrub_value


def init_sentry(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> bool:
    """Start the SDK when a DSN is given; returns whether it started. Safe to call twice."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,  # no user emails, IPs or cookies
        max_request_body_size="never",  # plans and uploads stay out of events
        integrations=[DjangoIntegration(), LoggingIntegration(event_level=None)],
        before_send=before_send,
        before_send_transaction=before_send,  # spans carry URLs and queries too
        before_breadcrumb=before_breadcrumb,
    )
    return True


def tag_job(job_id: str) -> None:
    """Put the job id on the current scope; a no-op when Sentry is not initialised."""
    import sentry_sdk

    if sentry_sdk.get_client().is_active():
        sentry_sdk.set_tag("job_id", job_id)
        sentry_sdk.set_context("job", {"id": job_id})


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Scrub secrets from an event and tag it with the job and request it belongs to."""
    tags = event.setdefault("tags", {})
    if isinstance(tags, dict):
        if job_id_var.get():
            tags.setdefault("job_id", job_id_var.get())
        if request_id_var.get():
            tags.setdefault("request_id", request_id_var.get())
    return scrub_event(event)


def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    return scrub_value(crumb)  # type: ignore[return-value]


def scrub_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event with the log scrubber's rules applied to every string in it, wherever it sits.

    Walking the whole event, rather than the fields known to carry text, is what keeps secrets
    out of places the SDK fills in on its own: a frame's source lines (Python 3.13 keeps the
    source of `-c` code, so a key typed there shows up in `context_line`), span descriptions of
    a transaction, breadcrumb data, thread stack traces. Values under a sensitive name (header,
    variable, form field, extra) go entirely; cookies go entirely whatever their names.
    """
    request = event.get("request")
    if isinstance(request, dict) and request.get("cookies"):
        request["cookies"] = REDACTED
    return scrub_value(event)  # type: ignore[return-value]
