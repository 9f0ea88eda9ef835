"""A series: several library stories (or one story at several lengths or in both languages)
started as render jobs in one action, listed together, and optionally published one per interval.

All or nothing: every item's plan is built and checked, the daily quota must cover every job,
each job passes the cost guard, and the jobs, the series and its publications are written in
one transaction. If anything is refused, nothing is created (and nothing is enqueued: render
tasks are enqueued on commit).

Publishing is the publishing app's: it registers a `SeriesPublisher` (`renders.series_publishing`).
When a schedule is given, each item's publish instant is computed from the local date and time in
the creator's time zone (`renders.series_times`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.selectors import profile_quotas
from accounts.services import ensure_profile
from renders.models import JobState, RenderJob, Series
from renders.pipeline.plan import PlanError
from renders.series_publishing import (
    PublicationsCanceled,
    PublishSettings,
    SeriesNotPublishable,
    series_publisher,
)
from renders.series_times import BadTimeZone, parse_time_zone, publish_instants
from renders.services import JobActionError, QuotaExceeded, job_cancel, job_create, plan_limits
from renders.starting_plans import UnknownStartingPlan, plan_from_template_id

MAX_SERIES_ITEMS = 30
TITLE_MAX = 120
# Plan settings an item may set besides its story, language and length (as a topic request may).
ITEM_SETTINGS = ("voice", "style", "aspect", "resolution", "mode", "music", "watermark")
# The planner takes these itself; the rest are applied to the plan it returns.
PLANNER_SETTINGS = ("voice", "aspect", "resolution", "mode")
# The first publication must leave time for at least the start of a render.
MIN_FIRST_PUBLISH_LEAD = timedelta(minutes=5)


class SeriesError(Exception):
    """A series that cannot be made or changed. `field` names the bad input (API `errors`, form field)."""

    def __init__(self, code: str, message: str, *, field: str = ""):
        self.code = code
        self.message = message
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class SeriesItem:
    story: str  # a library story template id
    language: str = "en"
    duration_target: int | None = None  # seconds; None: the story at its own length
    options: dict[str, str] = field(default_factory=dict)  # any of ITEM_SETTINGS


@dataclass(frozen=True)
class SeriesSchedule:
    start_date: dt.date
    local_time: dt.time
    time_zone: str  # IANA name
    every_days: int = 1
    every_hours: int = 0
    publish: PublishSettings = field(default_factory=lambda: PublishSettings(made_for_kids=False))


@dataclass(frozen=True)
class SeriesCanceled:
    series: Series
    jobs_canceled: int  # queued: canceled at once
    jobs_left: int  # running or finished: left as they are (a running one still finishes)
    publications: PublicationsCanceled | None  # None: the series had no publications

    @property
    def message(self) -> str:
        """What the cancel did, for the creator."""
        plural = "s" if self.jobs_canceled != 1 else ""
        parts = [f"{self.jobs_canceled} queued job{plural} canceled"]
        if self.jobs_left:
            parts.append(f"{self.jobs_left} running or finished left as they are")
        if self.publications and self.publications.canceled:
            count = self.publications.canceled
            parts.append(f"{count} scheduled publication{'s' if count != 1 else ''} withdrawn")
        if self.publications and self.publications.kept_published:
            kept = self.publications.kept_published
            parts.append(f"{kept} already published stay{'s' if kept == 1 else ''} on YouTube")
        return "; ".join(parts) + "."


def _item_plan(item: SeriesItem, index: int) -> dict[str, Any]:
    where = f"items.{index}"  # the API's own paths for an item's fields (`errors`)
    unknown = sorted(set(item.options) - set(ITEM_SETTINGS))
    if unknown:
        raise SeriesError(
            "invalid", f"{unknown[0]!r} is not a plan setting of a series item.", field=f"{where}.{unknown[0]}"
        )
    planner_options: dict[str, Any] = {key: item.options[key] for key in PLANNER_SETTINGS if item.options.get(key)}
    if item.duration_target is not None:
        planner_options["length_sec"] = float(item.duration_target)
    try:
        start = plan_from_template_id(item.story, language=item.language, limits=plan_limits(), **planner_options)
    except UnknownStartingPlan as error:
        raise SeriesError("unknown_story", str(error), field=f"{where}.story") from None
    except ValueError as error:
        name = "duration_target" if "length" in str(error) else "story"
        raise SeriesError("invalid", str(error), field=f"{where}.{name}") from None
    extra = {key: value for key, value in item.options.items() if key not in PLANNER_SETTINGS and value}
    return {**start.plan, **extra}


def _check_daily_quota(*, owner: User, needed: int) -> None:
    per_day = profile_quotas(profile=ensure_profile(owner)).jobs_per_day
    made = RenderJob.objects.filter(owner=owner, created_at__gte=timezone.now() - timedelta(days=1)).count()
    if made + needed > per_day:
        raise QuotaExceeded(
            "JOBS_PER_DAY",
            f"This series needs {needed} videos; you have started {made} in the last 24 hours and your limit is "
            f"{per_day}, so {max(0, per_day - made)} more fit now. Make a shorter series, try again later, or ask "
            "an operator to raise the limit. Nothing was created.",
            code="daily_quota_exceeded",
        )


def _schedule_instants(schedule: SeriesSchedule, count: int, now: dt.datetime) -> list[dt.datetime]:
    try:
        parse_time_zone(schedule.time_zone)
    except BadTimeZone as error:
        raise SeriesError("invalid", str(error), field="schedule.time_zone") from None
    if schedule.every_days < 0 or schedule.every_hours < 0 or schedule.every_days == schedule.every_hours == 0:
        raise SeriesError("invalid", "The interval must be at least one hour.", field="schedule.every_days")
    instants = publish_instants(
        start_date=schedule.start_date,
        local_time=schedule.local_time,
        time_zone=schedule.time_zone,
        every_days=schedule.every_days,
        every_hours=schedule.every_hours,
        count=count,
    )
    if instants[0] < now + MIN_FIRST_PUBLISH_LEAD:
        raise SeriesError(
            "invalid",
            f"The first publication ({instants[0]:%Y-%m-%d %H:%M} {schedule.time_zone}) must be at least "
            f"{int(MIN_FIRST_PUBLISH_LEAD.total_seconds() // 60)} minutes from now.",
            field="schedule.start_date",
        )
    return instants


@dataclass(frozen=True)
class SeriesDraft:
    """A series checked and planned, not yet created: what `series_start` writes."""

    owner: User
    title: str
    plans: list[dict[str, Any]]
    schedule: SeriesSchedule | None
    instants: list[dt.datetime]
    webhook_url: str

    @property
    def job_count(self) -> int:
        return len(self.plans)


def series_prepare(
    *,
    owner: User,
    title: str,
    items: list[SeriesItem],
    schedule: SeriesSchedule | None = None,
    webhook_url: str = "",
) -> SeriesDraft:
    """Check the request and build every item's plan; writes nothing.

    Separate from `series_start` so a caller can count the series against the start rate only
    once it is known to be well formed (a typo in a story id must not use up a minute's starts).
    Raises SeriesError (bad input, `field` names it) or SeriesNotPublishable (a schedule without
    a connected channel).
    """
    title = title.strip()
    if not title:
        raise SeriesError("invalid", "A series needs a title.", field="title")
    if len(title) > TITLE_MAX:
        raise SeriesError("invalid", f"A title is at most {TITLE_MAX} characters.", field="title")
    if not items:
        raise SeriesError("invalid", "A series needs at least one item.", field="items")
    if len(items) > MAX_SERIES_ITEMS:
        raise SeriesError("invalid", f"A series has at most {MAX_SERIES_ITEMS} items.", field="items")
    plans = [_item_plan(item, index) for index, item in enumerate(items)]
    instants: list[dt.datetime] = []
    if schedule is not None:
        instants = _schedule_instants(schedule, len(items), timezone.now())
        publisher = series_publisher()
        if publisher is None:
            raise SeriesNotPublishable("not_connected", "Publishing is not installed on this server.")
        publisher.check(owner)
    return SeriesDraft(
        owner=owner, title=title, plans=plans, schedule=schedule, instants=instants, webhook_url=webhook_url
    )


def series_start(*, draft: SeriesDraft) -> Series:
    """Create the series: one render job per plan (enqueued on commit), one publication per job when scheduled.

    Raises QuotaExceeded (the daily quota cannot cover every job, or one is over the cost guard)
    or PlanError (an item's plan over a limit, its paths under `items.N.`). Nothing is created
    when either is raised.
    """
    owner, schedule = draft.owner, draft.schedule
    publisher = series_publisher()
    try:
        _check_daily_quota(owner=owner, needed=draft.job_count)
        with transaction.atomic():
            series = Series.objects.create(
                owner=owner,
                title=draft.title,
                time_zone=schedule.time_zone if schedule else "",
                start_date=schedule.start_date if schedule else None,
                local_time=schedule.local_time if schedule else None,
                every_days=schedule.every_days if schedule else 1,
                every_hours=schedule.every_hours if schedule else 0,
            )
            jobs = []
            for position, plan in enumerate(draft.plans):
                try:
                    jobs.append(
                        job_create(
                            owner=owner,
                            plan_data=plan,
                            webhook_url=draft.webhook_url,
                            series=series,
                            series_position=position,
                        )
                    )
                except PlanError as error:
                    raise PlanError({f"items.{position}.{key}": message for key, message in error.errors.items()},
                                    limit=error.limit) from error  # fmt: skip
            if schedule is not None and publisher is not None:
                publisher.schedule(owner, jobs, draft.instants, schedule.publish)
    except QuotaExceeded as refusal:
        # Recorded after the rollback, so the refusal stays in the trail.
        audit.record(audit.Action.QUOTA_EXCEEDED, actor=owner, detail=f"series: {refusal.limit}: {refusal.message}")
        raise
    return series


def series_create(
    *,
    owner: User,
    title: str,
    items: list[SeriesItem],
    schedule: SeriesSchedule | None = None,
    webhook_url: str = "",
) -> Series:
    """`series_prepare` then `series_start`: every check, then all of the series or nothing."""
    draft = series_prepare(owner=owner, title=title, items=items, schedule=schedule, webhook_url=webhook_url)
    return series_start(draft=draft)


def series_cancel(*, series: Series) -> SeriesCanceled:
    """Cancel the jobs that have not started and the publications not yet published.

    Running jobs are left to finish and finished ones stay (their videos are kept); a publication
    already on YouTube stays there. Canceling twice is refused (409 over the API).
    """
    with transaction.atomic():
        series = Series.objects.select_for_update().get(pk=series.pk)
        if series.canceled_at is not None:
            raise SeriesError("already_canceled", "This series was already canceled.")
        canceled = 0
        for job in series.jobs.filter(state=JobState.QUEUED):
            try:
                job_cancel(job=job)
            except JobActionError:
                continue  # it started (or finished) in the meantime: left as it is
            canceled += 1
        left = series.jobs.exclude(state=JobState.CANCELED).count()
        publications = None
        publisher = series_publisher()
        if series.is_scheduled and publisher is not None:
            publications = publisher.cancel(series.owner, series)
        series.canceled_at = timezone.now()
        series.save(update_fields=["canceled_at"])
    return SeriesCanceled(series=series, jobs_canceled=canceled, jobs_left=left, publications=publications)


__all__ = [
    "MAX_SERIES_ITEMS", "SeriesCanceled", "SeriesDraft", "SeriesError", "SeriesItem", "SeriesNotPublishable",
    "SeriesSchedule", "series_cancel", "series_create", "series_prepare", "series_start",
]  # fmt: skip
