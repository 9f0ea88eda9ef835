"""Writes for render jobs. Web views, API views, admin actions and the CLI all call these.

Every function is keyword-only and typed; tasks are enqueued only after the transaction
commits (a worker must never pick up a job whose row it cannot see yet).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Max
from django.utils import timezone

from accounts import audit
from accounts.models import Profile
from accounts.selectors import max_job_priority, profile_quotas
from accounts.services import ensure_profile, request_profile
from renders import webhooks
from renders.costs import estimate_plan_cost
from renders.eta import plan_work
from renders.models import (
    DEFAULT_PRIORITY,
    FINAL_STATES,
    MAX_PRIORITY,
    MIN_PRIORITY,
    JobEvent,
    JobState,
    RenderJob,
    Series,
)
from renders.pipeline.context import STEP_WEIGHTS
from renders.pipeline.plan import Limits, Plan, PlanError, parse_plan
from renders.queue_estimate import forget_snapshot, note_queued
from renders.selectors import jobs_made_since
from renders.uploads import mark_names_used, resolve_upload_ids, upload_problem

logger = logging.getLogger(__name__)


class JobActionError(Exception):
    """A job action that is not possible in the job's state. `code` is stable for the API."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


class PriorityNotAllowed(Exception):
    """A priority outside 1-10 or above what the user's role allows. `field` is the input's name."""

    code = "priority_not_allowed"

    def __init__(self, message: str, *, field: str = "priority"):
        self.field = field
        self.message = message
        super().__init__(message)


def check_priority(*, owner: User, priority: int, profile: Profile | None = None) -> None:
    """Raise PriorityNotAllowed unless `owner` may give a job this priority (see max_job_priority)."""
    allowed = max_job_priority(profile=profile or ensure_profile(owner), user=owner)
    if not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise PriorityNotAllowed(f"Priority must be between {MIN_PRIORITY} and {MAX_PRIORITY}.")
    if priority > allowed:
        raise PriorityNotAllowed(
            f"Your account may set a priority of at most {allowed} ({MIN_PRIORITY} is lowest, {DEFAULT_PRIORITY} "
            "the default); ask an operator to raise a job above that."
        )


class QuotaExceeded(Exception):
    """A limit stops this job. `limit` names the setting, `code` is stable for the API."""

    def __init__(self, limit: str, message: str, *, code: str = "quota_exceeded"):
        self.limit = limit
        self.code = code
        self.message = message
        super().__init__(message)


def plan_limits() -> Limits:
    return Limits(
        max_scenes=settings.MAX_SCENES,
        max_scene_duration_sec=settings.MAX_SCENE_DURATION_SEC,
        max_total_duration_sec=settings.MAX_TOTAL_DURATION_SEC,
        narration_padding_sec=settings.NARRATION_PADDING_SEC,
    )


def validate_plan(*, plan_data: object, owner: User | None = None) -> Plan:
    """Parse and validate a plan; raise PlanError with a message per bad field.

    A scene's `image`, when given through the web or API, must name one of the owner's own
    uploads: by id (`up_…`, resolved to its storage name; UploadNotFound when it is not the
    owner's live upload) or exactly by storage name (`renders.uploads.upload_problem`), and that
    file must still be in storage.
    """
    if owner is not None:
        plan_data = resolve_upload_ids(owner=owner, plan_data=plan_data)
    plan = parse_plan(plan_data, plan_limits())
    if owner is not None:
        errors = {
            f"scenes[{index}].image": problem
            for index, scene in enumerate(plan.scenes)
            if scene.image and (problem := upload_problem(owner=owner, name=scene.image))
        }
        if errors:
            raise PlanError(errors)
    return plan


def _check_quotas(*, owner: User, profile: Profile, cost: Decimal) -> None:
    quotas = profile_quotas(profile=profile)
    max_cost = quotas.max_job_cost
    if cost > max_cost:
        raise QuotaExceeded(
            "MAX_JOB_COST",
            f"This video would cost about ${cost} with the configured providers, over your limit of ${max_cost}. "
            "Use fewer scenes or shorter narration, or ask an operator to raise the limit.",
            code="cost_limit_exceeded",
        )
    per_day = quotas.jobs_per_day
    made = jobs_made_since(owner_id=owner.pk, since=timezone.now() - timedelta(days=1))
    if made >= per_day:
        raise QuotaExceeded(
            "JOBS_PER_DAY",
            f"You have started {made} videos in the last 24 hours, your limit is {per_day}. "
            "Try again later or ask an operator to raise the limit.",
            code="daily_quota_exceeded",
        )


def check_job_allowed(*, owner: User, cost: Decimal) -> None:
    """Raise QuotaExceeded (and audit it) when a job of this cost may not start now; used before a
    paid call a job needs ahead of its creation (a topic's script)."""
    try:
        _check_quotas(owner=owner, profile=ensure_profile(owner), cost=cost)
    except QuotaExceeded as refusal:
        audit.record(audit.Action.QUOTA_EXCEEDED, actor=owner, detail=f"{refusal.limit}: {refusal.message}")
        raise


@dataclass(frozen=True)
class ScriptStep:
    """How a job's plan was written from a topic before the job was made (its `script` step)."""

    seconds: float
    cost: Decimal  # already spent (the chat call): counted in the estimate and the actual cost
    note: str


def log_event(job: RenderJob, message: str, *, level: str = JobEvent.Level.INFO, step: str = "") -> JobEvent:
    return JobEvent.objects.create(job=job, message=message, level=level, step=step)


def _next_version(*, owner: User, version_of: RenderJob) -> tuple[RenderJob, int]:
    """The video's first job, locked, and the number the next version gets. Inside a transaction.

    Locking the first job serialises two new versions of one video (two tabs, a double click), so
    they never both take the same number. Deleted versions keep their numbers: v3 deleted, the
    next is still v4. Only the owner's own video takes versions (an admin sees others' videos).
    """
    if version_of.owner_id != owner.pk:
        raise JobActionError("not_your_video", "New versions can only be made of your own videos.")
    first = RenderJob.objects.select_for_update().get(pk=version_of.video_key)
    if first.deleted_at is not None and not RenderJob.objects.filter(video=first, deleted_at__isnull=True).exists():
        raise JobActionError("video_deleted", "This video has been deleted; start a new one instead.")
    latest = RenderJob.objects.filter(video=first).aggregate(latest=Max("version"))["latest"] or first.version
    return first, latest + 1


def job_create(
    *,
    owner: User,
    plan_data: dict[str, Any],
    webhook_url: str = "",
    script: ScriptStep | None = None,
    series: Series | None = None,
    series_position: int | None = None,
    priority: int = DEFAULT_PRIORITY,
    version_of: RenderJob | None = None,
) -> RenderJob:
    """Validate the plan, check quotas and cost, store the job, enqueue it after commit.

    `script`, for a plan written from a topic, adds that step's cost and timing to the job.
    `series`, with the job's 0-based `series_position`, when it is started as part of one
    (`renders.series_service.series_create`, which holds the transaction around all of them).
    `priority` must be within the owner's allowance (check_priority).
    `version_of`, a job of the owner's video: the new job is that video's next version (it counts
    against the same quotas as any new video; JobActionError when the video is not the owner's).
    """
    profile = request_profile(owner)
    check_priority(owner=owner, priority=priority, profile=profile)
    plan = validate_plan(plan_data=plan_data, owner=owner)
    cost = estimate_plan_cost(plan) + (script.cost if script else Decimal("0"))
    plan_dict = plan.to_dict()
    render_kind, planned_sec = plan_work(plan_dict)
    try:
        with transaction.atomic():
            _check_quotas(owner=owner, profile=profile, cost=cost)
            first, version = _next_version(owner=owner, version_of=version_of) if version_of else (None, 1)
            job = RenderJob.objects.create(
                video=first,
                version=version,
                owner=owner,
                title=plan.title,
                language=plan.language,
                plan=plan_dict,
                render_kind=render_kind,
                planned_sec=planned_sec,
                cost_estimate=cost,
                cost_actual=script.cost if script else Decimal("0"),
                timings={"script": round(script.seconds, 3)} if script else {},
                # Queued with its script written: the job's status and webhooks start at that step.
                step="script" if script else "",
                progress_pct=STEP_WEIGHTS["script"] if script else 0,
                webhook_url=webhook_url,
                series=series,
                series_position=series_position,
                priority=priority,
            )
            if script:
                log_event(job, script.note, step="script")
            log_event(
                job,
                f"Job created: {len(plan.scenes)} scenes, {plan.language}, {plan.aspect}, {plan.mode}, "
                f"priority {priority}",
            )
            # No savepoint of its own: the row commits or rolls back with the job it records.
            audit.record(
                audit.Action.JOB_CREATED, actor=owner, job=job, detail=f"{plan.title!r}, {plan.mode}", savepoint=False
            )
            # Uploads the job uses are kept past their unused expiry while a job refers to them.
            mark_names_used(owner=owner, names=[scene.image for scene in plan.scenes if scene.image])
            if first is not None:
                log_event(job, f"Version {version} of the video “{first.title}”")
            enqueue_render_with_transaction(job_id=str(job.pk))
            if webhook_url or profile.default_webhook_url:  # else there is nothing to notify
                transaction.on_commit(lambda: notify_state_change(job_id=str(job.pk)))
    except QuotaExceeded as refusal:
        # Recorded after the rollback, so the refusal stays in the trail.
        audit.record(audit.Action.QUOTA_EXCEEDED, actor=owner, detail=f"{refusal.limit}: {refusal.message}")
        raise
    # The estimate answered with this job counts it.
    note_queued(created_at=job.created_at, priority=job.priority, render_kind=render_kind, planned_sec=planned_sec)
    return job


def final_plan_of(job: RenderJob) -> dict[str, Any]:
    """The plan of this finished preview at final quality: mode final, the plan's own resolution.

    JobActionError when the job is not a finished preview (the button and the API refuse alike).
    """
    if job.deleted_at is not None or job.state != JobState.SUCCEEDED:
        raise JobActionError("not_finished", "Only a finished preview can be made final; wait until it is ready.")
    plan = dict(job.plan or {})
    if plan.get("mode") != "proxy":
        raise JobActionError("not_a_preview", "This video is already at final quality.")
    plan["mode"] = "final"
    plan["resolution"] = plan.get("resolution") or "1080p"
    return plan


def job_make_final(*, job: RenderJob, owner: User) -> RenderJob:
    """Render this finished preview's plan at final quality as the video's next version.

    Goes through job_create, so plan checks, quotas, the cost limit and the audit trail all apply.
    """
    return job_create(owner=owner, plan_data=final_plan_of(job), webhook_url=job.webhook_url, version_of=job)


def enqueue_render(*, job_id: str, not_before: datetime | None = None) -> None:
    """Offer the workers one more render slot; with `not_before`, not before then.

    A render task is a slot, not an order for its job: whichever worker takes it claims the
    most urgent queued job that is due (renders.execution._claim), so priority works whatever
    the broker's order. The task keeps its job's id for the reaper's bookkeeping and to take
    over that job when its worker died. The ORM broker hides a delayed task until `not_before`
    (its lock); another broker gets a one-off schedule, run by the scheduler's next tick.
    """
    from django_q.brokers import get_broker
    from django_q.tasks import async_task, schedule

    from renders.broker import LeaseBroker

    name = f"render-{job_id}"
    broker = get_broker()
    if not_before is None or not_before <= timezone.now():
        async_task("renders.tasks.run_render_job", job_id, task_name=name, group="render", broker=broker)
    elif isinstance(broker, LeaseBroker):
        broker.available_at = not_before
        async_task("renders.tasks.run_render_job", job_id, task_name=name, group="render", broker=broker)
    else:
        from django_q.models import Schedule

        # django-q2 refuses a second schedule of the same name, and a job may be offered twice.
        unique = f"{name}-at-{not_before:%Y%m%dT%H%M%S.%f}-{uuid.uuid4().hex[:6]}"
        schedule("renders.tasks.run_render_job", job_id, name=unique, schedule_type=Schedule.ONCE, next_run=not_before)


def broker_shares_transaction() -> bool:
    """Whether the render queue is a table in the default database (the ORM broker, Q_CLUSTER's
    "orm": "default"), so a task enqueued inside a transaction commits or rolls back with it."""
    from django_q.brokers import get_broker
    from django_q.brokers.orm import ORM
    from django_q.conf import Conf

    return Conf.ORM == DEFAULT_DB_ALIAS and not Conf.SYNC and isinstance(get_broker(), ORM)


def enqueue_render_with_transaction(*, job_id: str, not_before: datetime | None = None) -> None:
    """Enqueue a job's render task (enqueue_render) as part of the open transaction that queued
    the job: job_create, job_retry, and the reaper when it requeues one.

    With the ORM broker the task row commits together with the job: one commit (one WAL flush on
    PostgreSQL, one write lock on SQLite) instead of two per queued job, no moment when a job is
    queued without its task, and a second reaper waiting on the job's row lock finds the task once
    it gets the lock. With another broker a worker could take the task before the job's row is
    visible, so it is enqueued after the commit instead.
    """
    if broker_shares_transaction():
        enqueue_render(job_id=job_id, not_before=not_before)
    else:
        transaction.on_commit(lambda: enqueue_render(job_id=job_id, not_before=not_before))


def notify_state_change(*, job_id: str) -> None:
    """Tell the outside world a job changed state (webhooks). No-op until webhooks are configured."""
    webhooks.enqueue_state_change(job_id=job_id)


def job_cancel(*, job: RenderJob) -> RenderJob:
    """Cancel a queued job at once; ask a running job to stop (its worker kills ffmpeg)."""
    with transaction.atomic():
        job = RenderJob.objects.select_for_update().get(pk=job.pk)
        if job.state in FINAL_STATES:
            raise JobActionError("not_cancelable", f"This job has already {job.state}; there is nothing to cancel.")
        job.cancel_requested = True
        fields = ["cancel_requested"]
        if job.state == JobState.QUEUED:
            job.state = JobState.CANCELED
            job.finished_at = timezone.now()
            fields += ["state", "finished_at"]
            transaction.on_commit(forget_snapshot)
            transaction.on_commit(lambda: notify_state_change(job_id=str(job.pk)))
        job.save(update_fields=fields)
        log_event(job, "Cancel requested by the creator", level=JobEvent.Level.WARNING)
        audit.record(audit.Action.JOB_CANCELED, job=job, detail="cancel requested")
    return job


def job_retry(*, job: RenderJob) -> RenderJob:
    """Queue a failed or canceled job again; finished segments are reused from the cache."""
    with transaction.atomic():
        job = RenderJob.objects.select_for_update().get(pk=job.pk)
        if job.state not in (JobState.FAILED, JobState.CANCELED):
            raise JobActionError(
                "not_retryable", f"Only failed or canceled jobs can be retried; this one is {job.state}."
            )
        job.state = JobState.QUEUED
        job.cancel_requested = False
        job.error = ""
        job.error_step = ""
        job.progress_pct = 0
        job.step = ""
        job.attempts = 0
        job.last_error = ""
        job.next_attempt_at = None
        job.finished_at = None
        job.save(
            update_fields=[
                "state", "cancel_requested", "error", "error_step", "progress_pct", "step", "attempts", "finished_at",
                "last_error", "next_attempt_at",
            ]
        )  # fmt: skip
        log_event(job, "Retry requested; finished segments will be reused")
        audit.record(audit.Action.JOB_RETRIED, job=job)
        transaction.on_commit(forget_snapshot)
        enqueue_render_with_transaction(job_id=str(job.pk))
        transaction.on_commit(lambda: notify_state_change(job_id=str(job.pk)))
    return job


def job_webhook_update(*, job: RenderJob, webhook_url: str) -> RenderJob:
    """Point one job's state-change callbacks at `webhook_url` ("" falls back to the account's URL).

    The URL passes the same check as one given at creation (`webhooks.check_webhook_url`: no
    private or loopback targets unless the server allows them); callbacks already queued keep
    the URL they were made for.
    """
    if webhook_url:
        webhooks.check_webhook_url(webhook_url)
    with transaction.atomic():
        job = RenderJob.objects.select_for_update().get(pk=job.pk)
        job.webhook_url = webhook_url
        job.save(update_fields=["webhook_url"])
        log_event(job, f"Webhook set to {webhook_url}" if webhook_url else "Webhook removed; the account's URL applies")
    return job
