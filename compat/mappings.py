"""The small tables between the older APIs' values and ours, each in one place, both directions.

| theirs | ours |
|---|---|
| states `pending`, `running`, `success`, `error` | `queued`, `running`, `succeeded`, `failed` and `canceled` (both `error`) |
| steps `images`, `tts`, `subtitles`, `stitch`, `upload`, `youtube_publish`, `completed` | `images`, `speech`, `subtitles`, `compose`, `store`; then the YouTube upload; then done |
| voice `F`, `M` | `female`, `male` |
| language `en-US`, `hi-IN`, … | `en`, `hi` (the primary subtag) |
| template `ganga_avatar` | `ganga-avatar` (underscores for dashes) |
| platform `youtube`, `shorts`, `tiktok`, … | aspect `16:9` or `9:16` |
| progress 0 to 1 (job queue) | percent |
"""

from __future__ import annotations

from renders.models import JobState
from renders.pipeline.plan import LANGUAGES

# Their four states. A canceled job is `error` to them: their clients know no fifth final state.
LEGACY_STATES: dict[str, str] = {
    JobState.QUEUED: "pending",
    JobState.RUNNING: "running",
    JobState.SUCCEEDED: "success",
    JobState.FAILED: "error",
    JobState.CANCELED: "error",
}
STATES_FOR_LEGACY: dict[str, tuple[str, ...]] = {
    "pending": (JobState.QUEUED,),
    "running": (JobState.RUNNING,),
    "success": (JobState.SUCCEEDED,),
    "error": (JobState.FAILED, JobState.CANCELED),
}
LEGACY_STATE_NAMES: tuple[str, ...] = tuple(STATES_FOR_LEGACY)

# Our pipeline steps as theirs. `script` (a topic's plan, written before the job is queued) has
# no step of theirs; it is shown as the first one.
LEGACY_STEPS: dict[str, str] = {
    "script": "images",
    "images": "images",
    "speech": "tts",
    "subtitles": "subtitles",
    "compose": "stitch",
    "store": "upload",
}
YOUTUBE_PUBLISH_STEP = "youtube_publish"
COMPLETED_STEP = "completed"
LEGACY_STEP_ORDER: tuple[str, ...] = (
    "images",
    "tts",
    "subtitles",
    "stitch",
    "upload",
    YOUTUBE_PUBLISH_STEP,
    COMPLETED_STEP,
)

VOICES: dict[str, str] = {"F": "female", "M": "male"}
LEGACY_VOICES: dict[str, str] = {ours: theirs for theirs, ours in VOICES.items()}
LEGACY_VOICE_NAMES: tuple[str, ...] = tuple(VOICES)

PLATFORM_ASPECTS: dict[str, str] = {
    "youtube": "16:9",
    "facebook": "16:9",
    "youtube_shorts": "9:16",
    "shorts": "9:16",
    "tiktok": "9:16",
    "instagram": "9:16",
    "instagram_reels": "9:16",
    "reels": "9:16",
}


class UnknownValue(ValueError):
    """A value of theirs with no counterpart here; the message lists what is accepted."""


def legacy_state(state: str) -> str:
    return LEGACY_STATES[state]


def legacy_step(*, state: str, step: str, publishing: bool = False) -> str | None:
    """Their step for a job: None while queued, `completed` when done (`youtube_publish` while the
    video goes to YouTube)."""
    if state == JobState.SUCCEEDED:
        return YOUTUBE_PUBLISH_STEP if publishing else COMPLETED_STEP
    if state == JobState.QUEUED or not step:
        return None
    return LEGACY_STEPS.get(step, step)


def our_voice(voice: str) -> str:
    """`F` / `M` (any case), or our own `female` / `male`."""
    if voice.upper() in VOICES:
        return VOICES[voice.upper()]
    if voice in LEGACY_VOICES:
        return voice
    raise UnknownValue('must be "F" or "M"')


def legacy_voice(voice: str) -> str:
    return LEGACY_VOICES.get(voice, voice)


def our_language(language: str) -> str:
    """`en-US`, `en_GB`, `hi-IN`, `EN`, `hi` → `en` / `hi`."""
    primary = language.replace("_", "-").split("-")[0].lower()
    if primary not in LANGUAGES:
        raise UnknownValue(f"must be English or Hindi ({', '.join(LANGUAGES)}, or a tag like en-US, hi-IN)")
    return primary


def our_template_id(template_id: str) -> str:
    return template_id.replace("_", "-")


def legacy_template_id(template_id: str) -> str:
    return template_id.replace("-", "_")


def aspect_for_platform(platform: str) -> str:
    try:
        return PLATFORM_ASPECTS[platform.lower()]
    except KeyError:
        raise UnknownValue(f"must be one of {', '.join(PLATFORM_ASPECTS)}") from None


def progress_fraction(progress_pct: int) -> float:
    return round(progress_pct / 100, 2)
