"""The MCP server: the tools, the video-files resource and the prompt, on the official `mcp` SDK.

Every call is made as one API key's owner. Where the key comes from is the transport's business
(`key_of`): the environment on stdio, the request's `Authorization: Bearer` header on Streamable
HTTP, read again on every call, so a key revoked mid-session stops working at once. The work
itself is `assistants.tools` (synchronous: the ORM), run in a worker thread with the database
connection handled as a request would handle it.

A refusal comes back as a tool error (`isError`) whose text and structured content are the API's
error body, `{code, message[, errors, limit, retry_after]}`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from assistants import tools
from renders.pipeline.plan import MAX_TOPIC_CHARS

logger = logging.getLogger(__name__)

KeyOf = Callable[[Context], str | None]

INSTRUCTIONS = """Bhakti renders narrated devotional story videos (English and Hindi; 16:9, 9:16 Shorts, 1:1).
Typical flow: list_stories (ready-made stories) or a free topic -> optionally draft_plan to review the
scenes -> create_video (from a story_id, a topic or a plan) -> poll get_video every few seconds until
is_final -> give the person final_video_url (fetch it with the same API key) -> optionally
schedule_youtube_publish. Use mode "proxy" for a quick low-resolution preview. Errors carry the API's
`code` (e.g. invalid_plan, daily_quota_exceeded, throttled, not_found) and a `message` to act on."""

Language = Literal["en", "hi"]
Voice = Literal["male", "female"]
Style = Literal[
    "temple-painting", "watercolor", "miniature", "cinematic", "storybook", "warli", "madhubani", "pichwai",
    "shadow-puppet",
]  # fmt: skip
Aspect = Literal["16:9", "9:16", "1:1"]
Resolution = Literal["720p", "1080p", "4k"]
Mode = Literal["proxy", "final"]
State = Literal["queued", "running", "succeeded", "failed", "canceled"]

JobId = Annotated[str, Field(description="A video's job id (a UUID), as create_video or list_videos give it.")]
TopicArg = Annotated[
    str | None,
    Field(
        description="What the video is about, e.g. 'Prahlad and Narasimha'. With a script service configured a "
        "chat model writes the scenes; otherwise a library story matching it (by title or alias, Latin or "
        "Devanagari) is told.",
        max_length=MAX_TOPIC_CHARS,
    ),
]
StoryArg = Annotated[str | None, Field(description="A story id from list_stories, e.g. 'prahlad'.")]
LanguageArg = Annotated[Language, Field(description="Narration language: en (English) or hi (Hindi).")]
DurationArg = Annotated[
    int | None,
    Field(
        description="Length wanted in seconds. A topic defaults to 60; a story defaults to its full telling.",
        ge=1,
    ),
]
VoiceArg = Annotated[Voice | None, Field(description="Narrator voice.")]
StyleArg = Annotated[Style | None, Field(description="Art style of the pictures.")]
AspectArg = Annotated[Aspect | None, Field(description="16:9 (YouTube), 9:16 (Shorts, Reels), 1:1.")]
ResolutionArg = Annotated[Resolution | None, Field(description="Output resolution of a final render.")]
ModeArg = Annotated[Mode | None, Field(description="proxy: a fast low-resolution preview; final: the real thing.")]

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)


def _result(data: dict[str, Any], *, is_error: bool = False) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(data, ensure_ascii=False))],
        structured_content=data,
        is_error=is_error,
    )


def _run_as_key_owner(raw_key: str | None, action: Callable[..., dict[str, Any]], arguments: dict[str, Any]) -> Any:
    """Authenticate, run the action; returns its data, or a refusal body wrapped as a ToolRefused."""
    close_old_connections()  # as at a request's start and end: drop connections past their age or broken
    try:
        user = tools.authenticate(raw_key)
        return action(user=user, **arguments)
    except Exception as exc:
        body = tools.refusal_body(exc)
        if body is None:
            logger.exception("MCP call %s failed", getattr(action, "__name__", action))
            body = {"code": "server_error", "message": "Something went wrong on the server; it has been logged."}
        return tools.ToolRefused(body)
    finally:
        close_old_connections()


async def _call(key_of: KeyOf, ctx: Context, action: Callable[..., dict[str, Any]], **arguments: Any) -> Any:
    # Not thread-sensitive: one user's slow script (a chat model call) must not hold up the others.
    return await sync_to_async(_run_as_key_owner, thread_sensitive=False)(key_of(ctx), action, arguments)


async def _tool(key_of: KeyOf, ctx: Context, action: Callable[..., dict[str, Any]], **arguments: Any) -> CallToolResult:
    outcome = await _call(key_of, ctx, action, **arguments)
    if isinstance(outcome, tools.ToolRefused):
        return _result(outcome.body, is_error=True)
    return _result(outcome)


def build_server(*, key_of: KeyOf) -> MCPServer:  # noqa: C901 - one registration per tool, read top to bottom
    server = MCPServer(name="bhakti", title="Bhakti", instructions=INSTRUCTIONS, version="1")

    @server.tool(
        name="list_stories",
        title="List library stories",
        description="The ready-made devotional stories (English and Hindi titles, aliases, scene count, length at "
        "their own pacing). Pass a story's `id` as `story_id` to draft_plan or create_video.",
        annotations=READ_ONLY,
    )
    async def list_stories(ctx: Context) -> CallToolResult:
        return await _tool(key_of, ctx, tools.list_stories)

    @server.tool(
        name="draft_plan",
        title="Draft a render plan",
        description="Writes the render plan (title, scenes with narration and picture prompts, settings) for a "
        "topic or a library story, without starting a render: review or edit it, then pass it to create_video as "
        "`plan`. Send exactly one of `topic` or `story_id`. A topic no story matches (offline) is refused with "
        "code `topic_not_found` and the `closest` stories.",
        annotations=ToolAnnotations(read_only_hint=True, open_world_hint=True),
    )
    async def draft_plan(
        ctx: Context,
        topic: TopicArg = None,
        story_id: StoryArg = None,
        language: LanguageArg = "en",
        duration_sec: DurationArg = None,
        voice: VoiceArg = None,
        style: StyleArg = None,
        aspect: AspectArg = None,
        resolution: ResolutionArg = None,
        mode: ModeArg = None,
    ) -> CallToolResult:
        return await _tool(
            key_of, ctx, tools.draft_plan, topic=topic, story_id=story_id, language=language,
            duration_sec=duration_sec, voice=voice, style=style, aspect=aspect, resolution=resolution, mode=mode,
        )  # fmt: skip

    @server.tool(
        name="create_video",
        title="Create a video",
        description="Starts rendering a narrated video and returns its `job_id` at once; the render runs in the "
        "background (seconds for a proxy, minutes for a final). Send exactly one of `plan` (from draft_plan, "
        "possibly edited), `topic` or `story_id`; with a plan, the settings live inside the plan. Counts against "
        "your daily quota, cost limit and per-minute start rate (codes `daily_quota_exceeded`, "
        "`cost_limit_exceeded`, `throttled` with `retry_after`). Then poll get_video.",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False),
    )
    async def create_video(
        ctx: Context,
        plan: Annotated[
            dict[str, Any] | None,
            Field(
                description="A render plan: {title, language, voice, style, aspect, resolution, mode, music, "
                "watermark, scenes: [{image_prompt, narration, duration_sec}, …]} as draft_plan returns it."
            ),
        ] = None,
        topic: TopicArg = None,
        story_id: StoryArg = None,
        language: LanguageArg = "en",
        duration_sec: DurationArg = None,
        voice: VoiceArg = None,
        style: StyleArg = None,
        aspect: AspectArg = None,
        resolution: ResolutionArg = None,
        mode: ModeArg = None,
    ) -> CallToolResult:
        return await _tool(
            key_of, ctx, tools.create_video, plan=plan, topic=topic, story_id=story_id, language=language,
            duration_sec=duration_sec, voice=voice, style=style, aspect=aspect, resolution=resolution, mode=mode,
        )  # fmt: skip

    @server.tool(
        name="get_video",
        title="Get a video's status",
        description="A video's state (queued, running, succeeded, failed, canceled), `is_final`, current `step` "
        "and `progress_pct`, and once done `final_video_url`, `thumbnail_url`, subtitles and every file's URL; "
        "`error` when it failed. URLs are fetched with the same API key as a bearer token (presigned on S3).",
        annotations=READ_ONLY,
    )
    async def get_video(ctx: Context, job_id: JobId) -> CallToolResult:
        return await _tool(key_of, ctx, tools.get_video, job_id=job_id)

    @server.tool(
        name="cancel_video",
        title="Cancel a video",
        description="Cancels a queued render at once, or asks a running one to stop within seconds. A finished "
        "video is refused with code `not_cancelable`.",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True),
    )
    async def cancel_video(ctx: Context, job_id: JobId) -> CallToolResult:
        return await _tool(key_of, ctx, tools.cancel_video, job_id=job_id)

    @server.tool(
        name="list_videos",
        title="List your videos",
        description="Your videos, newest first (an admin's key sees everyone's), one page at a time, optionally "
        "filtered by state and language.",
        annotations=READ_ONLY,
    )
    async def list_videos(
        ctx: Context,
        state: Annotated[State | None, Field(description="Only videos in this state.")] = None,
        language: Annotated[Language | None, Field(description="Only videos in this language.")] = None,
        page: Annotated[int, Field(ge=1, description="Page number, from 1.")] = 1,
        page_size: Annotated[int, Field(ge=1, le=100, description="Videos per page.")] = 20,
    ) -> CallToolResult:
        return await _tool(
            key_of, ctx, tools.list_videos, state=state, language=language, page=page, page_size=page_size
        )

    @server.tool(
        name="schedule_youtube_publish",
        title="Schedule a YouTube upload",
        description="Schedules a finished video for your connected YouTube channel (connect it once in the web "
        "studio). Without `publish_at` it uploads now. Refusals: `not_found`, `not_connected`, `not_ready`, …",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=True),
    )
    async def schedule_youtube_publish(
        ctx: Context,
        job_id: JobId,
        title: Annotated[str, Field(description="The YouTube title.", min_length=1, max_length=100)],
        made_for_kids: Annotated[bool, Field(description="Required by YouTube: is the video made for kids?")],
        publish_at: Annotated[
            str | None, Field(description="When to publish: ISO 8601 with an offset, e.g. 2026-12-24T06:00:00+05:30.")
        ] = None,
        description: Annotated[str, Field(description="The YouTube description.")] = "",
        tags: Annotated[list[str] | None, Field(description="YouTube tags.")] = None,
        privacy: Annotated[
            Literal["private", "unlisted", "public"], Field(description="Privacy once published.")
        ] = "private",
    ) -> CallToolResult:
        return await _tool(
            key_of, ctx, tools.schedule_youtube_publish, job_id=job_id, title=title, made_for_kids=made_for_kids,
            publish_at=publish_at, description=description, tags=tags, privacy=privacy,
        )  # fmt: skip

    @server.resource(
        "bhakti://videos/{job_id}/files",
        name="video_files",
        title="A video's files",
        description="A video's files as JSON: final_video_url, thumbnail_url, subtitles and every file with its "
        "kind, size and URL (fetch with the same API key as a bearer token; presigned on S3).",
        mime_type="application/json",
    )
    async def video_files(job_id: str, ctx: Context) -> str:
        outcome = await _call(key_of, ctx, tools.video_files, job_id=job_id)
        if isinstance(outcome, tools.ToolRefused):
            raise ResourceError(json.dumps(outcome.body, ensure_ascii=False))
        return json.dumps(outcome, ensure_ascii=False)

    @server.prompt(
        name="devotional_short",
        title="Make a devotional short",
        description="Make a devotional short (a 9:16 YouTube Short) about a topic, from start to finished video.",
    )
    def devotional_short(
        topic: Annotated[str, Field(description="What the short is about, e.g. 'Ganga coming down to earth'.")],
        language: Annotated[str, Field(description="en or hi")] = "en",
    ) -> str:
        return (
            f"Make a devotional short about {topic} with Bhakti.\n"
            f"1. Call list_stories and look for a story about {topic}; if one fits, use its id as story_id.\n"
            f'2. Call draft_plan (story_id, or topic "{topic}") with language "{language}", aspect "9:16", '
            'duration_sec 45 and mode "proxy"; show me the title and each scene\'s narration in one line each.\n'
            "3. When I agree (or ask for changes, which you make in the plan), set the plan's mode to "
            '"final" and call create_video with that plan.\n'
            "4. Poll get_video every 5 seconds until is_final; report the step and progress as it goes.\n"
            "5. Give me final_video_url and thumbnail_url, or the error and what to do about it."
        )

    return server
