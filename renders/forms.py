"""The create form: the plan's settings and a formset of scenes (posted as scenes-0-narration …).

Forms validate types and sizes at the edge and store uploaded scene images as soon as they arrive
(so a form shown again with an error keeps them); the plan itself is validated once more by
`renders.services.job_create` (parse_plan), whose per-field errors `attach_plan_errors` puts back
next to the fields they are about.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.forms import BaseFormSet, formset_factory

from renders.models import JobState
from renders.pipeline import plan as plan_schema
from renders.topic import MAX_TARGET_SEC, MIN_TARGET_SEC
from renders.uploads import UploadRejected, check_image_upload, human_size, is_own_upload, store_image_upload

# "Hindi (हिन्दी)": the name a creator reads, with the language's own name when it differs.
LANGUAGE_LABELS = {
    code: name
    if plan_schema.NATIVE_LANGUAGE_NAMES[code] == name
    else f"{name} ({plan_schema.NATIVE_LANGUAGE_NAMES[code]})"
    for code, name in plan_schema.LANGUAGE_NAMES.items()
}
LANGUAGE_CHOICES = list(LANGUAGE_LABELS.items())
VOICE_CHOICES = [("female", "Female"), ("male", "Male")]
STYLE_CHOICES = [
    ("temple-painting", "Temple painting"),
    ("watercolor", "Watercolour"),
    ("miniature", "Miniature painting"),
    ("cinematic", "Cinematic"),
    ("storybook", "Storybook"),
    ("warli", "Warli (white figures on earth-red)"),
    ("madhubani", "Madhubani (bold lines and patterns)"),
    ("pichwai", "Pichwai (lotuses and cows, deep colours)"),
    ("shadow-puppet", "Shadow puppets (tholu bommalata, lamp-lit leather)"),
]
ASPECT_CHOICES = [("16:9", "16:9 (YouTube)"), ("9:16", "9:16 (Shorts)"), ("1:1", "1:1 (square)")]
RESOLUTION_CHOICES = [("720p", "720p"), ("1080p", "1080p (Full HD)"), ("4k", "4K")]
MODE_CHOICES = [("proxy", "Preview (fast, small)"), ("final", "Final (full quality)")]
MUSIC_CHOICES = [("tanpura", "Tanpura drone"), ("bells", "Temple bells"), ("none", "No music")]
WATERMARK_CHOICES = [
    ("none", "No watermark"),
    ("tl", "Top left"),
    ("tr", "Top right"),
    ("bl", "Bottom left"),
    ("br", "Bottom right"),
]
CAPTIONS_CHOICES = [
    ("", "Automatic: word by word for Shorts and square, lines for 16:9"),
    ("words", "Word by word (big, the spoken word highlighted)"),
    ("lines", "Subtitle lines at the bottom"),
    ("none", "None burned in (subtitle files only)"),
]
ON_SCREEN_CHOICES = [
    ("main", "The narration's language"),
    ("both", "Both languages (the other one smaller, beneath)"),
    ("roman", "Hindi also in Roman letters"),
]

SCENE_PREFIX = "scenes"
PLAN_FIELDS = (
    "title", "topic", "language", "voice", "style", "aspect", "resolution", "mode", "music", "watermark",
    "captions", "subtitles_on_screen",
)  # fmt: skip
# Plan fields whose blank choice means "let parse_plan pick the default" (it depends on other fields).
_BLANK_IS_DEFAULT = ("captions", "subtitles_on_screen")


class PlanForm(forms.Form):
    title = forms.CharField(
        max_length=plan_schema.MAX_TITLE_CHARS,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Prahlad and Lord Narasimha"}),
    )
    topic = forms.CharField(
        required=False,
        max_length=plan_schema.MAX_TOPIC_CHARS,
        help_text="One line about the story; it becomes the video's description.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES, initial="en", help_text="The narration's language.")
    voice = forms.ChoiceField(choices=VOICE_CHOICES, initial="female")
    style = forms.ChoiceField(choices=STYLE_CHOICES, initial="temple-painting", label="Art style")
    aspect = forms.ChoiceField(choices=ASPECT_CHOICES, initial="16:9", label="Shape")
    resolution = forms.ChoiceField(choices=RESOLUTION_CHOICES, initial="1080p")
    mode = forms.ChoiceField(
        choices=MODE_CHOICES,
        initial="final",
        label="Quality",
        help_text="Preview renders in seconds at a small size; Final takes longer.",
    )
    music = forms.ChoiceField(choices=MUSIC_CHOICES, initial="tanpura")
    watermark = forms.ChoiceField(choices=WATERMARK_CHOICES, initial="none")
    captions = forms.ChoiceField(choices=CAPTIONS_CHOICES, initial="", required=False, label="Captions")
    subtitles_on_screen = forms.ChoiceField(
        choices=ON_SCREEN_CHOICES,
        initial="main",
        required=False,
        label="Subtitles show",
        help_text="Both languages needs scenes with the other language's narration; Roman letters needs Hindi.",
    )


class WriteScriptForm(forms.Form):
    """The create page's "Write it for me": a topic becomes scenes in the editor (renders.topic).

    Prefixed: its topic and language would otherwise share ids with the video card's own fields,
    which the written script replaces out of band by id.
    """

    prefix = "write"

    topic = forms.CharField(
        label="What is the video about?",
        max_length=plan_schema.MAX_TOPIC_CHARS,
        help_text="A story or a name, in Hindi or English: “Prahlad”, “प्रह्लाद”, “Shabari's berries”.",
    )
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES, initial="en", label="Narration language")
    length = forms.IntegerField(
        label="Length (seconds)", initial=60, min_value=MIN_TARGET_SEC, max_value=MAX_TARGET_SEC
    )

    def clean_length(self) -> int:
        length = self.cleaned_data["length"]
        if length > settings.MAX_TOTAL_DURATION_SEC:
            raise forms.ValidationError(f"At most {settings.MAX_TOTAL_DURATION_SEC} seconds on this server.")
        return length


class SceneForm(forms.Form):
    image_prompt = forms.CharField(
        required=False,
        max_length=plan_schema.MAX_PROMPT_CHARS,
        label="Image prompt",
        help_text="What the picture shows. Needed unless you upload a picture.",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "e.g. a child praying by a river at dawn"}),
    )
    narration = forms.CharField(
        required=False,
        max_length=plan_schema.MAX_NARRATION_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What the narrator says in this scene"}),
    )
    narration_alt = forms.CharField(
        required=False,
        max_length=plan_schema.MAX_NARRATION_CHARS,
        label="Narration in the other language",
        help_text="Adds subtitles in the second language.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    duration_sec = forms.FloatField(
        label="Seconds",
        initial=5,
        help_text="Stretched to fit the narration when it is longer.",
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    image = forms.CharField(required=False, widget=forms.HiddenInput)
    image_file = forms.FileField(
        required=False,
        label="Upload a picture",
        help_text="JPEG, PNG or WebP.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    image_clear = forms.BooleanField(required=False, label="Remove this picture")
    stock_footage = forms.BooleanField(
        required=False,
        label="Use stock footage",
        help_text="A stock video found by the image prompt's words plays instead of a painting "
        "(when none is found, the scene is painted). Not with an uploaded picture.",
    )

    def __init__(self, *args: Any, owner: AbstractBaseUser, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.owner = owner
        # The range comes from settings at request time (tests and operators change it), so it is
        # checked in clean_duration_sec rather than fixed in the field's validators at import.
        self.fields["duration_sec"].widget.attrs.update({"min": "1", "max": str(settings.MAX_SCENE_DURATION_SEC)})
        self.fields["image_file"].help_text = f"JPEG, PNG or WebP, up to {human_size(settings.MAX_UPLOAD_IMAGE_BYTES)}."

    def clean_duration_sec(self) -> float:
        value = self.cleaned_data["duration_sec"]
        if not 1 <= value <= settings.MAX_SCENE_DURATION_SEC:
            raise forms.ValidationError(f"Use between 1 and {settings.MAX_SCENE_DURATION_SEC} seconds.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or self.cleaned_data
        name = (cleaned.get("image") or "").strip()
        upload = cleaned.get("image_file")
        if upload:
            try:
                extension = check_image_upload(upload, size=upload.size)
            except UploadRejected as error:
                self.add_error("image_file", str(error))
            else:
                # Stored now, before the rest of the form is judged: if anything else is wrong the
                # page comes back with the stored name in the hidden field and nothing to re-upload.
                name = store_image_upload(owner=self.owner, upload=upload, extension=extension)
        elif cleaned.get("image_clear"):
            name = ""
        elif name and not (is_own_upload(owner=self.owner, name=name) and default_storage.exists(name)):
            # Only a name this form stored for this creator can come back; anything else was tampered
            # with or purged from storage.
            self.add_error("image_file", "The picture uploaded earlier is gone; upload it again.")
            name = ""
        cleaned["image"] = name
        self._set_bound("image", name)
        self._set_bound("image_clear", "")
        if not name and not (cleaned.get("image_prompt") or "").strip() and "image_prompt" not in self.errors:
            if (cleaned.get("narration") or "").strip() or self.has_error("image_file"):
                self.add_error("image_prompt", "Describe the picture, or upload one: each scene needs a picture.")
            else:
                # Added and left blank (only its default seconds): said, never silently dropped.
                self.add_error(
                    "image_prompt",
                    "This scene is empty. Describe its picture (or upload one) and write what the narrator "
                    "says, or remove the scene.",
                )
        return cleaned

    def _set_bound(self, field: str, value: str) -> None:
        """Change what a re-rendered form shows for `field` (the view passes a mutable copy of POST)."""
        if self.is_bound and hasattr(self.data, "_mutable"):
            self.data[self.add_prefix(field)] = value

    @property
    def stored_image_filename(self) -> str:
        """The file name of the picture this scene keeps (for its preview), or ""."""
        value = self["image"].value() or ""
        return str(value).rsplit("/", 1)[-1]

    def scene_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        scene: dict[str, Any] = {
            "image_prompt": data.get("image_prompt", ""),
            "narration": data.get("narration", ""),
            "duration_sec": data["duration_sec"],
        }
        if data.get("narration_alt"):
            scene["narration_alt"] = data["narration_alt"]
        if data.get("image"):
            scene["image"] = data["image"]
        if data.get("stock_footage"):
            scene["stock_footage"] = True
        return scene


class BaseSceneFormSet(BaseFormSet):
    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "owner": self.form_kwargs["owner"]}

    def _construct_form(self, i: int, **kwargs: Any) -> Any:  # type: ignore[misc]  # private in the stubs
        # Every scene on the page counts, including one added and left blank: Django would treat
        # such a form as "empty, permitted" and drop it without a word (asked for 3, got 2).
        return super()._construct_form(i, **{**kwargs, "empty_permitted": False})

    def filled_forms(self) -> list[SceneForm]:
        """The scenes that make the plan, in order (a valid formset has no blank scene)."""
        return [form for form in self.forms if form.cleaned_data]


def scene_formset(
    *,
    owner: AbstractBaseUser,
    data: Any = None,
    files: Any = None,
    initial: list[dict[str, Any]] | None = None,
) -> BaseSceneFormSet:
    """The scene editor's formset. Pass `data` as a mutable copy (request.POST.copy())."""
    formset_class = formset_factory(
        SceneForm,
        formset=BaseSceneFormSet,
        extra=0,
        min_num=1,
        validate_min=True,
        max_num=settings.MAX_SCENES,
        validate_max=True,
        absolute_max=settings.MAX_SCENES,
    )
    return formset_class(
        data,
        files,
        initial=initial,
        prefix=SCENE_PREFIX,
        form_kwargs={"owner": owner},
        error_messages={
            "too_few_forms": "Add a scene: a video needs at least one (a picture and what the narrator says).",
            "too_many_forms": f"A video has at most {settings.MAX_SCENES} scenes on this server; remove some.",
        },
    )


def error_summary(plan_form: PlanForm, formset: BaseSceneFormSet) -> list[dict[str, str]]:
    """Every error on the page, each with the id of its field, for the summary's links."""
    items: list[dict[str, str]] = []
    for message in plan_form.non_field_errors():
        items.append({"text": str(message), "target": "video-heading"})
    for name, errors in plan_form.errors.items():
        if name in plan_form.fields:
            for message in errors:
                items.append({"text": f"{plan_form[name].label}: {message}", "target": plan_form[name].id_for_label})
    for message in formset.non_form_errors():
        items.append({"text": str(message), "target": "scenes-heading"})
    for number, form in enumerate(formset.forms, start=1):
        for name, errors in form.errors.items():
            field = form[name] if name in form.fields else None
            target = field.id_for_label if field is not None else f"{form.prefix}-card"
            label = f"Scene {number} · {field.label}" if field is not None else f"Scene {number}"
            for message in errors:
                items.append({"text": f"{label}: {message}", "target": target or f"{form.prefix}-card"})
    return items


def plan_data_from_forms(plan_form: PlanForm, formset: BaseSceneFormSet) -> dict[str, Any]:
    """The plan dict job_create takes, from two valid forms."""
    return {
        **{
            field: plan_form.cleaned_data[field]
            for field in PLAN_FIELDS
            if not (field in _BLANK_IS_DEFAULT and not plan_form.cleaned_data[field])
        },
        "scenes": [form.scene_data() for form in formset.filled_forms()],
    }


_SCENE_ERROR = re.compile(r"^scenes\[(\d+)\](?:\.(\w+))?$")


def attach_plan_errors(plan_form: PlanForm, formset: BaseSceneFormSet, errors: dict[str, str]) -> list[str]:
    """Put each PlanError message on the field it names; return the ones that belong to no field."""
    scene_forms = formset.filled_forms()
    leftover: list[str] = []
    for path, message in errors.items():
        text = message[0].upper() + message[1:] if message else message
        match = _SCENE_ERROR.match(path)
        if match:
            index, field = int(match.group(1)), match.group(2) or None
            if index < len(scene_forms):
                form = scene_forms[index]
                if field == "image":
                    field = "image_file"
                form.add_error(field if field in form.fields else None, text)
                continue
        if path in plan_form.fields:
            plan_form.add_error(path, text)
            continue
        leftover.append(f"{path.replace('_', ' ').capitalize()}: {message}" if path != "plan" else text)
    return leftover


def initial_from_plan(plan: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Initial values for PlanForm and the scene formset from plan data (a job's plan, a template)."""
    plan_initial = {field: plan[field] for field in PLAN_FIELDS if field in plan}
    scenes = [
        {
            "image_prompt": scene.get("image_prompt", ""),
            "narration": scene.get("narration", ""),
            "narration_alt": scene.get("narration_alt", ""),
            "duration_sec": scene.get("duration_sec", 5),
            "image": scene.get("image") or "",
            "stock_footage": scene.get("stock_footage") is True,
        }
        for scene in plan.get("scenes", [])
        if isinstance(scene, dict)
    ]
    return plan_initial, scenes


class JobFilterForm(forms.Form):
    """The dashboard's filters; bad values are ignored rather than refused (it is only a view)."""

    q = forms.CharField(
        required=False,
        max_length=plan_schema.MAX_TITLE_CHARS,
        label="Search titles",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search by title"}),
    )
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *JobState.choices])
    language = forms.ChoiceField(required=False, choices=[("", "Any language"), *LANGUAGE_CHOICES])

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {"state": "", "language": "", "search": ""}
        data = self.cleaned_data
        return {"state": data["state"], "language": data["language"], "search": data["q"].strip()}


class SplitStoryForm(forms.Form):
    """The create page's story splitter: a pasted story becomes scenes (renders.story_splitter)."""

    story = forms.CharField(
        label="Your story",
        max_length=plan_schema.MAX_NARRATION_CHARS * 20,
        help_text="Paste it in Hindi or English; each scene gets a few sentences and a suggested image prompt.",
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "एक समय की बात है… / Once upon a time…"}),
    )
    sentences_per_scene = forms.TypedChoiceField(
        label="Sentences per scene",
        choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4")],
        coerce=int,
        initial=2,
    )


# ---- the photo flow (renders.photo_views) ------------------------------------------------------

MAX_PHOTOS = 20
MAX_DESCRIPTION_CHARS = 2000
MAX_DETAIL_CHARS = 80


def max_photos() -> int:
    """Photos one photo video takes: 20, or fewer when the server allows fewer scenes."""
    return min(MAX_PHOTOS, settings.MAX_SCENES)


class PhotoMusicForm(forms.Form):
    """Step 1's one field beside the photos themselves (which the view reads as files and ids)."""

    music = forms.ChoiceField(choices=MUSIC_CHOICES, initial="tanpura", label="Music")


class PhotoDetailsForm(forms.Form):
    """Step 2: what the photos show. The optional details are spoken when given."""

    title = forms.CharField(
        max_length=plan_schema.MAX_TITLE_CHARS,
        help_text="Spoken first, as the video opens.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Hand-painted brass diya"}),
    )
    description = forms.CharField(
        max_length=MAX_DESCRIPTION_CHARS,
        help_text="A few sentences; they are spread over the photos in order.",
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "What is it, what makes it special, who is it for…"}),
    )
    price = forms.CharField(
        required=False,
        max_length=MAX_DETAIL_CHARS,
        help_text="Spoken near the end, e.g. “₹450” or “450 rupees”.",
        widget=forms.TextInput(attrs={"inputmode": "text"}),
    )
    place = forms.CharField(
        required=False,
        max_length=MAX_DETAIL_CHARS,
        help_text="Where to find it or where it happens, e.g. “Shri Ram Mandir, Pune”.",
    )
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES, initial="en", help_text="The narration's language.")
    voice = forms.ChoiceField(choices=VOICE_CHOICES, initial="female")
    aspect = forms.ChoiceField(choices=ASPECT_CHOICES, initial="9:16", label="Shape")
    mode = forms.ChoiceField(
        choices=MODE_CHOICES,
        initial="final",
        label="Quality",
        help_text="Preview renders in seconds at a small size; Final takes longer.",
    )

    def details(self) -> dict[str, str]:
        """The optional details that were given, for draft_photo_plan."""
        return {key: self.cleaned_data[key].strip() for key in ("price", "place") if self.cleaned_data[key].strip()}

    def options(self) -> dict[str, str]:
        return {key: self.cleaned_data[key] for key in ("voice", "aspect", "mode")}
