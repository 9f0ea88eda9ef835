"""A creator's photos and a description become a narrated plan: one scene per photo.

What a marketplace seller or a temple volunteer does: upload photos, describe them, get a
video. Offline (the default) the title opens the video, the description's sentences are spread
over the photos in order, the details (a price, a place) are spoken after them, and a closing
line ends it. With OpenAI configured the chat model looks at the photos (downscaled copies, sent
as image parts) and the description and writes one narration per photo; when that call fails
the offline wording is used and the reason logged.

Each scene's `image` is the upload's storage name (resolved from the caller's own ids), and each
scene lasts as long as its narration needs (`spoken_length`), never less than MIN_PHOTO_SEC so a
photo is seen.
"""

from __future__ import annotations

import io
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from PIL import Image, ImageOps

from renders.costs import estimate_script_cost
from renders.models import RenderJob, Upload
from renders.pipeline.plan import LANGUAGES, MAX_NARRATION_CHARS, PlanError
from renders.pipeline.providers.base import ProviderError
from renders.pipeline.providers.openai_script import ProductPicture
from renders.pipeline.spoken_length import estimate_speech_sec, scene_sec
from renders.pipeline.text import clean_narration, split_sentences
from renders.script_service import script_provider
from renders.services import ScriptStep, check_job_allowed, job_create, plan_limits, validate_plan
from renders.uploads import UploadNotFound, get_own_upload

logger = logging.getLogger(__name__)

MAX_PHOTOS = 20
MAX_TITLE_CHARS = 120
MAX_DESCRIPTION_CHARS = 3000
MAX_DETAILS = 8
MAX_DETAIL_CHARS = 200
MIN_PHOTO_SEC = 3.0  # a photo stays on screen at least this long, narrated or not
# The chat model sees each photo at most this many pixels on its longer side (cost and speed;
# detail "low" is 512 px anyway).
VISION_SIDE_PX = 768
# Input tokens a photo at detail "low" can cost (85 on tile-based models; patch-based models
# bill more per image): counted before the call, with the text, against the cost guard.
VISION_TOKENS_PER_PHOTO = 600
# Plan settings the one-call form may set; photo videos have no painted art, so no style.
PLAN_SETTINGS = ("voice", "aspect", "resolution", "mode", "music", "watermark")

# The fixed lines, in each language (the title, as a sentence, opens). Details are spoken as
# "<label>: <value>".
CLOSINGS = {"en": "Thank you for watching.", "hi": "देखने के लिए धन्यवाद।"}
# For a photo the description leaves without words: short lines, taken in turn.
FILLERS = {
    "en": ("Take a closer look.", "Here is another view.", "Every detail matters.", "See it for yourself."),
    "hi": ("ज़रा ध्यान से देखिए।", "यह एक और झलक है।", "हर बारीकी ख़ास है।", "ख़ुद देखिए।"),
}
DETAIL_LABELS = {
    "en": {"price": "Price", "place": "Place", "location": "Location", "date": "Date", "time": "Time",
           "contact": "Contact", "size": "Size", "material": "Material"},
    "hi": {"price": "कीमत", "place": "स्थान", "location": "स्थान", "date": "तारीख़", "time": "समय",
           "contact": "संपर्क", "size": "आकार", "material": "सामग्री"},
}  # fmt: skip
SENTENCE_ENDS = ".!?।॥…"


@dataclass(frozen=True)
class PhotoScript:
    plan: dict[str, Any]  # valid plan data, one scene per photo
    provider: str  # "openai" or "offline"
    uploads: tuple[Upload, ...]
    cost: Decimal = Decimal("0")
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)


def _sentence(text: str, language: str) -> str:
    text = text.strip()
    if text and text[-1] not in SENTENCE_ENDS:
        text += "।" if language == "hi" else "."
    return text


def detail_lines(details: dict[str, str], language: str) -> list[str]:
    """Each detail as a spoken sentence, known keys (price, place, …) with a label in the language."""
    labels = DETAIL_LABELS[language]
    lines = []
    for key, value in details.items():
        value = str(value).strip()
        if not value:
            continue
        label = labels.get(key.strip().lower(), key.strip().replace("_", " ").capitalize())
        lines.append(_sentence(f"{label}: {value}", language))
    return lines


def _spread(lines: list[str], count: int) -> list[list[str]]:
    """`lines` in order over `count` photos, contiguous and as even as can be; with fewer lines
    than photos, the lines are spaced out and some photos get none."""
    groups: list[list[str]] = [[] for _ in range(count)]
    for index, line in enumerate(lines):
        groups[index * count // len(lines)].append(line)
    return groups


def offline_narrations(
    *, count: int, title: str, description: str, details: dict[str, str], language: str
) -> list[str]:
    """One narration per photo, written without any service (see the module docstring)."""
    sentences = split_sentences(clean_narration(description), language) if description.strip() else []
    groups = _spread(sentences + detail_lines(details, language), count)
    groups[0].insert(0, _sentence(title, language))
    groups[-1].append(CLOSINGS[language])
    fillers = FILLERS[language]
    return [" ".join(group) if group else fillers[index % len(fillers)] for index, group in enumerate(groups)]


def _vision_picture(upload: Upload) -> ProductPicture:
    """A downscaled JPEG copy of the upload, for the chat model to look at."""
    with default_storage.open(upload.name, "rb") as handle, Image.open(handle) as image:
        image.draft("RGB", (VISION_SIDE_PX, VISION_SIDE_PX))
        picture = ImageOps.exif_transpose(image)
        if picture.mode != "RGB":
            picture = picture.convert("RGB")
        picture.thumbnail((VISION_SIDE_PX, VISION_SIDE_PX), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=80)
    return ProductPicture(mime_type="image/jpeg", data=buffer.getvalue())


def _estimated_cost(photo_count: int) -> Decimal:
    price_in = Decimal(str(settings.PRICE_OPENAI_CHAT_1K_INPUT_TOKENS))
    looking = Decimal(photo_count * VISION_TOKENS_PER_PHOTO) / 1000 * price_in
    return estimate_script_cost(scene_count=photo_count) + looking


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _scene_seconds(narration: str, language: str) -> float:
    """As long as the narration needs (estimated, padding included), at least MIN_PHOTO_SEC."""
    limits = plan_limits()
    needed = scene_sec(MIN_PHOTO_SEC, estimate_speech_sec(narration, language), limits.narration_padding_sec)
    return round(min(math.ceil(needed * 10) / 10, float(limits.max_scene_duration_sec)), 1)


def _check_fits(narrations: Sequence[str], language: str, *, source: str) -> None:
    """PlanError naming the description (not a scene the creator never wrote) when a photo's share
    of it is longer than a scene may last."""
    limits = plan_limits()
    for index, narration in enumerate(narrations):
        speech = estimate_speech_sec(narration, language)
        needed = scene_sec(0, speech, limits.narration_padding_sec)
        if needed > limits.max_scene_duration_sec or len(narration) > MAX_NARRATION_CHARS:
            raise PlanError(
                {
                    source: (
                        f"photo {index + 1}'s part of the narration takes about {needed:.0f} s to speak, more than "
                        f"the {limits.max_scene_duration_sec:g} s a scene may last; shorten the description "
                        "or add photos"
                    )
                },
                limit="MAX_SCENE_DURATION_SEC",
            )


def _resolve(owner: User, upload_ids: Sequence[str]) -> list[Upload]:
    if not 1 <= len(upload_ids) <= MAX_PHOTOS:
        raise PlanError({"photos": f"give 1 to {MAX_PHOTOS} upload ids (got {len(upload_ids)})"})
    uploads = []
    for index, upload_id in enumerate(upload_ids):
        try:
            uploads.append(get_own_upload(owner=owner, upload_id=upload_id))
        except Upload.DoesNotExist:
            raise UploadNotFound(field=f"photos[{index}]", upload_id=upload_id) from None
    return uploads


def write_photo_script(
    *,
    owner: User,
    upload_ids: list[str],
    title: str,
    description: str,
    details: dict[str, str] | None = None,
    language: str = "en",
    options: dict[str, str] | None = None,
) -> PhotoScript:
    """The plan for these photos. Raises UploadNotFound (an id that is not the owner's live upload),
    PlanError (bad input, or narration too long for the photos) or QuotaExceeded (before a paid call)."""
    started = time.monotonic()
    details = details or {}
    options = options or {}
    errors = {}
    if language not in LANGUAGES:
        errors["language"] = f"must be one of {', '.join(LANGUAGES)}"
    if not title.strip():
        errors["title"] = "give the video a title; it opens the narration"
    elif len(title) > MAX_TITLE_CHARS:
        errors["title"] = f"must be at most {MAX_TITLE_CHARS} characters"
    if len(description) > MAX_DESCRIPTION_CHARS:
        errors["description"] = f"must be at most {MAX_DESCRIPTION_CHARS} characters"
    if len(details) > MAX_DETAILS or any(len(str(value)) > MAX_DETAIL_CHARS for value in details.values()):
        errors["details"] = f"at most {MAX_DETAILS} details of at most {MAX_DETAIL_CHARS} characters each"
    if errors:
        raise PlanError(errors)
    uploads = _resolve(owner, upload_ids)

    notes: list[str] = []
    narrations: list[str] | None = None
    provider_name = "offline"
    cost = 0.0
    provider = script_provider()
    if provider is not None:
        check_job_allowed(owner=owner, cost=_estimated_cost(len(uploads)))
        try:
            written = provider.narrate_photos(
                title=title.strip(),
                description=description.strip(),
                details=detail_lines(details, language),
                language=language,
                pictures=[_vision_picture(upload) for upload in uploads],
            )
            _check_fits(written.texts, language, source="narration")
        except (ProviderError, PlanError, OSError) as error:
            logger.warning("photo narration by OpenAI failed, written offline instead: %s", error)
            notes.append(f"The script service could not narrate the photos ({error}); written offline instead.")
        else:
            narrations = list(written.texts)
            cost = written.cost
            provider_name = "openai"
    if narrations is None:
        narrations = offline_narrations(
            count=len(uploads), title=title, description=description, details=details, language=language
        )
        _check_fits(narrations, language, source="description")

    plan = {
        "title": title.strip(),
        "topic": description.strip()[:300],
        "language": language,
        "scenes": [
            {
                "image": upload.name,
                "image_prompt": "",
                "narration": narration,
                "duration_sec": _scene_seconds(narration, language),
            }
            for upload, narration in zip(uploads, narrations, strict=True)
        ],
        **{key: value for key, value in options.items() if key in PLAN_SETTINGS and value},
    }
    validated = validate_plan(plan_data=plan, owner=owner)
    return PhotoScript(
        plan=validated.to_dict(),
        provider=provider_name,
        uploads=tuple(uploads),
        cost=_money(cost),
        seconds=time.monotonic() - started,
        notes=tuple(notes),
    )


def draft_photo_plan(
    *,
    owner: User,
    upload_ids: list[str],
    title: str,
    description: str,
    details: dict[str, str] | None = None,
    language: str = "en",
    options: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Valid plan data for these photos, for the creator to review (nothing renders here).
    Raises UploadNotFound, PlanError or QuotaExceeded like `write_photo_script`."""
    return write_photo_script(
        owner=owner,
        upload_ids=upload_ids,
        title=title,
        description=description,
        details=details,
        language=language,
        options=options,
    ).plan


def photo_job_create(
    *,
    owner: User,
    upload_ids: list[str],
    title: str,
    description: str,
    details: dict[str, str] | None = None,
    language: str = "en",
    options: dict[str, str] | None = None,
    webhook_url: str = "",
) -> RenderJob:
    """Write the photos' script, create the job from it (a `script` step; job_create marks the
    uploads used)."""
    script = write_photo_script(
        owner=owner,
        upload_ids=upload_ids,
        title=title,
        description=description,
        details=details,
        language=language,
        options=options,
    )
    who = "the chat model, looking at the photos" if script.provider == "openai" else "the description, offline"
    note = f"Script: {len(script.uploads)} photos narrated from {who}"
    for extra in script.notes:
        note += f". {extra}"
    return job_create(
        owner=owner,
        plan_data=script.plan,
        webhook_url=webhook_url,
        script=ScriptStep(seconds=script.seconds, cost=script.cost, note=note),
    )
