"""Sentry: initialised only when SENTRY_DSN is set; events carry the job id and never a secret."""

from __future__ import annotations

from typing import Any

from bhakti.logging import REDACTED, SENSITIVE_NAME, job_id_var, request_id_var, scrub_text, scrub_value

_SENSITIVE_HEADERS = {"authorization", "cookie", "x-api-key", "proxy-authorization", "x-csrftoken", "set-cookie"}


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
    request = event.get("request")
    if isinstance(request, dict):
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: (REDACTED if name.lower() in _SENSITIVE_HEADERS else scrub_text(str(value)))
                for name, value in headers.items()
            }
        if "cookies" in request:
            request["cookies"] = REDACTED
        if isinstance(request.get("query_string"), str):
            request["query_string"] = scrub_text(request["query_string"])
        if "data" in request:
            request["data"] = scrub_value(request["data"])
    for exception in (event.get("exception") or {}).get("values", []) or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = scrub_text(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames", []) or []:
            local_vars = frame.get("vars")
            if isinstance(local_vars, dict):
                frame["vars"] = {
                    name: (REDACTED if SENSITIVE_NAME.search(name) else scrub_value(value))
                    for name, value in local_vars.items()
                }
    if isinstance(event.get("logentry"), dict):
        event["logentry"] = scrub_value(event["logentry"])
    if isinstance(event.get("message"), str):
        event["message"] = scrub_text(event["message"])
    for key in ("extra", "contexts", "breadcrumbs"):
        if key in event:
            event[key] = scrub_value(event[key])
    return event
