"""What an AI assistant may do over MCP, as plain functions of the caller and the arguments.

Each one is a thin call into the services the REST API calls, with the API's own input
serializers for validation, so the quotas and the cost guard (`renders.services`), the start
rate (`renders.rate_limits`, one allowance per user whichever door), roles (an admin sees every
job, through `renders.selectors`), the audit trail and the error codes are the API's. Someone
else's video is "not found", as on the API. `assistants/server.py` exposes these as MCP tools;
they are synchronous (the ORM) and run in a worker thread there.

Results are JSON-ready dicts; a refusal is an exception, turned into the API's error body
`{code, message[, errors, limit, retry_after]}` by `refusal_body`.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from rest_framework.request import Request

from accounts import audit
from accounts.services import api_key_authenticate
from bhakti.api.errors import api_exception_handler, error_body
from library.api.views import TemplatePlanApi
from library.stories import LengthTooShort, get_template, list_templates, plan_from_template
from publishing import services as publishing
from publishing.api.views import PublicationOutput, ScheduleApi, schedule_from_input
from publishing.models import Publication
from renders import rate_limits
from renders.api.errors import PlanRejected
from renders.api.representations import estimated_wait_seconds, job_detail, job_summary
from renders.api.serializers import JobDetailSerializer, JobFilterQuerySerializer, JobSummarySerializer
from renders.api.views import RenderCreateApi
from renders.models import RenderJob
from renders.pipeline.plan import PlanError
from renders.selectors import job_get_for_user, jobs_list
from renders.services import job_cancel, job_create, plan_limits
from renders.topic import ScriptFailed, TopicNotFound, TopicRequest, topic_job_create, write_script

# The options a topic or a story takes (a plan carries its own).
OPTION_NAMES = ("voice", "style", "aspect", "resolution", "mode")


class ToolRefused(Exception):
    """A refusal with its API error body already made."""

    def __init__(self, body: dict[str, Any]):
        self.body = body
        super().__init__(body["message"])


def refusal_body(exc: Exception) -> dict[str, Any] | None:
    """The API's error body for this exception, or None for an unexpected failure (a bug).

    Domain errors answer through the API's own translations (`bhakti.api.errors.translates`),
    DRF's validation errors and Django's Http404 through its exception handler.
    """
    if isinstance(exc, ToolRefused):
        return exc.body
    if isinstance(exc, TopicNotFound):
        closest = [{"id": story.id, "title": story.title_en, "title_hi": story.title_hi} for story in exc.closest]
        return error_body(exc.code, exc.message, errors={"topic": exc.message}, closest=closest)
    if isinstance(exc, ScriptFailed):
        return error_body(exc.code, exc.message)
    if isinstance(exc, publishing.PublishActionError):
        return error_body(exc.code, exc.message)
    if isinstance(exc, PlanError):
        exc = PlanRejected(exc, limit=exc.limit)
    response = api_exception_handler(exc, {})
    return dict(response.data) if response is not None else None


def authenticate(raw_key: str | None) -> User:
    """The owner of this API key; ToolRefused (the API's `invalid_api_key`) when it is missing or not valid."""
    key = api_key_authenticate(raw_key) if raw_key else None
    if key is None:
        raise ToolRefused(
            error_body(
                "invalid_api_key",
                "This API key is not valid: it may be mistyped or revoked. Create a new one under Account → API keys.",
            )
        )
    return key.user


class _SiteLinks:
    """Stands in for the web request the API's representations make absolute URLs from: SITE_URL."""

    def build_absolute_uri(self, location: str | None = None) -> str:
        return settings.SITE_URL + (location or "/")


def _links() -> Request:
    return cast(Request, _SiteLinks())


def _json_ready(data: Any) -> dict[str, Any]:
    # DRF's serializers give decimals and datetimes as text already; this also drops ReturnDict.
    return cast(dict[str, Any], json.loads(json.dumps(data, default=str)))


def _take_start(user: User, scope: str) -> None:
    """One start from the user's per-minute allowance (the API's throttle draws on the same one)."""
    wait = rate_limits.take_render_start(user_id=user.pk, scope=scope)
    if wait is None:
        return
    audit.record(audit.Action.RATE_LIMITED, actor=user, detail=f"MCP {scope}")
    if scope == rate_limits.RENDER_START:
        message = rate_limits.refusal_message(wait)
    else:
        message = (
            f"You have drafted {settings.RATE_LIMIT_PER_MIN} scripts in the last minute, the most allowed "
            f"(RATE_LIMIT_PER_MIN). Try again in {wait} s."
        )
    raise ToolRefused(error_body("throttled", message, retry_after=wait))


def _exactly_one(**sources: object) -> str:
    given = [name for name, value in sources.items() if value not in (None, "")]
    if len(given) != 1:
        names = ", ".join(f"`{name}`" for name in sources)
        message = f"Send exactly one of {names}" + (f" (got {', '.join(given)})." if given else ".")
        raise ToolRefused(error_body("invalid", message, errors={name: message for name in sources}))
    return given[0]


def _options(options: dict[str, str | None]) -> dict[str, str]:
    return {name: value for name, value in options.items() if name in OPTION_NAMES and value}


# --- stories and plans --------------------------------------------------------------------------


def list_stories(*, user: User) -> dict[str, Any]:
    stories = [
        {
            "id": story.id,
            "title_en": story.title_en,
            "title_hi": story.title_hi,
            "description_en": story.description_en,
            "tags": list(story.tags),
            "aliases_en": list(story.aliases_en),
            "scene_count": len(story.scenes),
            "duration_sec": story.duration_sec,
        }
        for story in list_templates()
    ]
    return {"count": len(stories), "results": stories}


def _story_plan(*, story_id: str, language: str, duration_sec: int | None, options: dict[str, str]) -> dict[str, Any]:
    """The story template told in `language`, validated as POST /templates/{id}/plan validates it."""
    given: dict[str, Any] = {"language": language, **{key: value for key, value in options.items() if key != "style"}}
    if duration_sec is not None:
        given["length_sec"] = duration_sec
    serializer = TemplatePlanApi.InputSerializer(data=given)
    serializer.is_valid(raise_exception=True)
    template = get_template(story_id)
    try:
        plan = plan_from_template(template, **serializer.validated_data, limits=plan_limits())
    except LengthTooShort as error:
        raise ToolRefused(
            error_body("invalid", f"The request is invalid: duration_sec: {error}", errors={"duration_sec": str(error)})
        ) from error
    if options.get("style"):
        plan["style"] = options["style"]  # checked with the rest of the plan when the job is made
    return plan


def _topic_request(*, topic: str, language: str, duration_sec: int | None, options: dict[str, str]) -> TopicRequest:
    """Validated as POST /renders validates a topic (lengths, choices, the server's duration limit)."""
    given: dict[str, Any] = {"topic": topic, "language": language, **options}
    if duration_sec is not None:
        given["duration_target"] = duration_sec
    serializer = RenderCreateApi.InputSerializer(data=given)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    return TopicRequest(
        topic=data["topic"],
        language=data["language"],
        duration_target=data["duration_target"],
        options={key: data[key] for key in OPTION_NAMES if key in data},
    )


def draft_plan(
    *,
    user: User,
    topic: str | None = None,
    story_id: str | None = None,
    language: str = "en",
    duration_sec: int | None = None,
    **options: str | None,
) -> dict[str, Any]:
    """A plan to review or edit before create_video; no job is made."""
    source = _exactly_one(topic=topic, story_id=story_id)
    chosen = _options(options)
    if source == "story_id":
        plan = _story_plan(story_id=str(story_id), language=language, duration_sec=duration_sec, options=chosen)
        return {"plan": plan, "source": "library", "story_id": story_id, "cost": "0.0000", "notes": []}
    _take_start(user, rate_limits.SCRIPT_DRAFT)  # writing a script may call a paid chat model
    request = _topic_request(topic=str(topic), language=language, duration_sec=duration_sec, options=chosen)
    script = write_script(owner=user, request=request)
    return _json_ready(
        {
            "plan": script.plan,
            "source": script.provider,
            "story_id": script.story_id,
            "cost": script.cost,
            "notes": list(script.notes),
        }
    )


# --- videos -------------------------------------------------------------------------------------


def create_video(
    *,
    user: User,
    plan: dict[str, Any] | None = None,
    topic: str | None = None,
    story_id: str | None = None,
    language: str = "en",
    duration_sec: int | None = None,
    **options: str | None,
) -> dict[str, Any]:
    """Queue a render from a plan, a topic or a story; counts against the start rate and the quotas."""
    source = _exactly_one(plan=plan, topic=topic, story_id=story_id)
    _take_start(user, rate_limits.RENDER_START)  # first, as the API's throttle runs before its view
    chosen = _options(options)
    if source == "plan":
        if chosen or duration_sec is not None or language != "en":
            raise ToolRefused(
                error_body(
                    "invalid",
                    "With a plan, set the language, length and settings inside the plan.",
                    errors={"plan": "Set the language, length and settings inside the plan."},
                )
            )
        serializer = RenderCreateApi.InputSerializer(data={"plan": plan})
        serializer.is_valid(raise_exception=True)
        job = job_create(owner=user, plan_data=serializer.validated_data["plan"])
    elif source == "topic":
        request = _topic_request(topic=str(topic), language=language, duration_sec=duration_sec, options=chosen)
        job = topic_job_create(owner=user, request=request)
    else:
        story_plan = _story_plan(story_id=str(story_id), language=language, duration_sec=duration_sec, options=chosen)
        job = job_create(owner=user, plan_data=story_plan)
    return _json_ready(
        {
            "job_id": job.pk,
            "title": job.title,
            "state": job.state,
            "estimated_wait_seconds": estimated_wait_seconds(job) or 0,
            "cost_estimate": job.cost_estimate,
            "created_at": job.created_at,
            "next": "Call get_video with this job_id every few seconds until is_final is true.",
        }
    )


def _detail(job: RenderJob) -> dict[str, Any]:
    return _json_ready(JobDetailSerializer(job_detail(_links(), job)).data)


def get_video(*, user: User, job_id: str) -> dict[str, Any]:
    return _detail(job_get_for_user(user=user, job_id=job_id))


def cancel_video(*, user: User, job_id: str) -> dict[str, Any]:
    return _detail(job_cancel(job=job_get_for_user(user=user, job_id=job_id)))


def list_videos(
    *, user: User, state: str | None = None, language: str | None = None, page: int = 1, page_size: int = 20
) -> dict[str, Any]:
    query = JobFilterQuerySerializer(
        data={"state": state or "", "language": language or "", "page": page, "page_size": page_size}
    )
    query.is_valid(raise_exception=True)
    data = query.validated_data
    jobs = jobs_list(user=user, state=data.get("state"), language=data.get("language"), latest_only=True)
    count = jobs.count()
    start = (data["page"] - 1) * data["page_size"]
    page_jobs = list(jobs[start : start + data["page_size"]]) if start < count else []
    links = _links()
    return _json_ready(
        {
            "count": count,
            "page": data["page"],
            "page_size": data["page_size"],
            "results": [JobSummarySerializer(job_summary(links, job)).data for job in page_jobs],
        }
    )


def video_files(*, user: User, job_id: str) -> dict[str, Any]:
    """A video's files and their URLs (the resource `bhakti://videos/{job_id}/files`)."""
    detail = _detail(job_get_for_user(user=user, job_id=job_id))
    return {
        "job_id": detail["id"],
        "title": detail["title"],
        "state": detail["state"],
        "final_video_url": detail["final_video_url"],
        "thumbnail_url": detail["thumbnail_url"],
        "subtitles": detail["subtitles"],
        "files": detail["assets"],
        "how_to_fetch": "Local storage: GET each URL with the same API key (Authorization: Bearer …). "
        "S3 storage: the URLs are presigned and expire.",
    }


# --- publishing ---------------------------------------------------------------------------------


def schedule_youtube_publish(
    *,
    user: User,
    job_id: str,
    title: str,
    made_for_kids: bool,
    publish_at: str | None = None,
    description: str = "",
    tags: list[str] | None = None,
    privacy: str = "private",
) -> dict[str, Any]:
    """Schedule a finished video for the caller's connected YouTube channel (as POST /publish/{id}/schedule)."""
    job = job_get_for_user(user=user, job_id=job_id)
    if job.owner_id != user.pk:  # publishing is the owner's own, even for an admin (as on the API)
        raise ToolRefused(error_body("not_found", "No such video."))
    given: dict[str, Any] = {
        "title": title,
        "made_for_kids": made_for_kids,
        "description": description,
        "tags": tags or [],
        "privacy": privacy,
    }
    if publish_at:
        given["iso_datetime"] = publish_at
    serializer = ScheduleApi.ScheduleInput(data=given)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    publication: Publication = schedule_from_input(owner=user, job=job, data=data)
    publication.refresh_from_db()
    return _json_ready(PublicationOutput(publication).data)
