"""The images step: one still per scene, oversampled for Ken Burns motion. No Django here.

A scene either brings the creator's own photo (validated, EXIF-rotated, then fitted by
`photo_fit`: cover-cropped around its subject, or whole over a blurred copy of itself when its
shape is far from the frame's) or is painted by the image providers (cloud first when
configured, the local illustrator last).
Every still is exactly `oversample_size(frame_size)` so compose can pan and zoom inside it
without ever scaling up past the frame.

Stills are saved as `images/scene_NN.jpg` beside a `scene_NN.json` sidecar holding the hash of
everything that made them; a rerun of the same job reuses a still whose inputs did not change.

A scene that asks for stock footage gets a clip from the footage provider, searched by its
prompt's keywords and kept as `footage/scene_NN.mp4` (reused on a rerun); its still is the clip's
best frame, and its sidecar names the clip, which compose then plays instead of the still
(`scene_footage`). When there is no footage provider or it fails, the scene is painted instead,
with a warning in the log: stock footage never fails a video.

A photo's sidecar records its layout and subject, from which `scene_motions` gives compose the
photo's own Ken Burns motion (painted stills keep the usual cycle).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from renders.pipeline import allocator
from renders.pipeline.context import Callbacks, RenderError, RenderSettings
from renders.pipeline.ken_burns import Motion, photo_motion
from renders.pipeline.photo_fit import PHOTO_FIT_VERSION, fit_photo
from renders.pipeline.plan import Plan
from renders.pipeline.providers.base import FootageProvider, Picture, ProviderError, ProviderSet, with_fallback
from renders.pipeline.providers.pexels_stock import best_frame, stock_keywords

# Stills are this much larger than the frame, so the Ken Burns window never leaves the picture.
OVERSAMPLE = 1.25
STILL_QUALITY = 92
MAX_UPLOAD_PIXELS = 40_000_000
UPLOAD_FORMATS = ("JPEG", "PNG", "WEBP")
# Part of every still's cache key: bump when fitting or encoding changes.
STILL_VERSION = "1"

ART_DIRECTION_MARKER = "Art direction:"
# The art direction every image provider is given for each style, so scenes look like one film.
STYLE_DIRECTIONS: dict[str, str] = {
    "temple-painting": "traditional Indian temple painting, Tanjore style, rich pigments, warm gold leaf accents, "
    "ornate, devotional, soft divine glow",
    "watercolor": "soft watercolor painting on textured paper, gentle washes, luminous light, delicate edges",
    # No borders asked for: a border in the still would drift under Ken Burns (compose overlays one).
    "miniature": "Rajput and Mughal miniature painting, flat vivid colours, fine detail, no border",
    "cinematic": "cinematic digital matte painting, dramatic volumetric light, film colour grading, epic scale",
    "storybook": "warm children's storybook illustration, friendly shapes, bright pastel colours, soft light",
    "warli": "Warli tribal folk painting, white geometric stick figures of circles and triangles on an earth-red "
    "mud wall, simple motifs, no border",
    "madhubani": "Madhubani folk painting, bold black outlines filled with flat red, yellow, green and blue, "
    "line and fish patterns, deities known by their haloes and symbols, no border",
    "pichwai": "Pichwai painting from Nathdwara, lotus ponds and cows in deep indigo and green with gold, "
    "Krishna with his flute, rich jewel colours, no border",
    "shadow-puppet": "Andhra tholu bommalata shadow puppet theatre, translucent dyed leather puppets with jointed "
    "limbs and punched-hole patterns, glowing on a warm oil-lamp-lit cloth screen, profile faces, no border",
}


FOOTAGE_DIR = "footage"


@dataclass(frozen=True)
class SceneFootage:
    """The stock clip a scene plays instead of its still, and the credit its licence asks for."""

    clip: Path
    provider: str
    video_id: str
    author: str
    page_url: str

    @classmethod
    def from_credit(cls, clip: Path, record: dict[str, Any], provider: str = "") -> SceneFootage:
        """From a credit as `credit()` writes it (in a sidecar, or a provider's answer)."""
        return cls(
            clip=clip,
            provider=str(record.get("provider") or provider),
            video_id=str(record.get("video_id", "")),
            author=str(record.get("author", "")),
            page_url=str(record.get("page_url", "")),
        )

    def credit(self) -> dict[str, str]:
        return {"provider": self.provider, "video_id": self.video_id, "author": self.author, "page_url": self.page_url}


def oversample_size(frame_size: tuple[int, int]) -> tuple[int, int]:
    """The still's size for a frame: OVERSAMPLE times larger, each side rounded to an even number."""
    width, height = frame_size
    return 2 * round(width * OVERSAMPLE / 2), 2 * round(height * OVERSAMPLE / 2)


def styled_prompt(prompt: str, style: str) -> str:
    """The scene's prompt with the style's art direction appended (after ART_DIRECTION_MARKER).

    Idempotent: a prompt that already carries an art direction is returned as it is, so the step
    and a cloud provider may both call it.
    """
    if ART_DIRECTION_MARKER in prompt:
        return prompt
    direction = STYLE_DIRECTIONS.get(style, STYLE_DIRECTIONS["temple-painting"])
    return f"{prompt.strip().rstrip('.')}. {ART_DIRECTION_MARKER} {direction}, no text, no lettering."


def scene_seed(title: str, index: int, prompt: str) -> str:
    """A stable seed per scene: the same plan paints the same pictures, scene after scene."""
    return hashlib.sha256(f"{title}\x1f{index}\x1f{prompt}".encode()).hexdigest()[:16]


def cover_fit(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale to cover `size` and crop the centre: no bars, no distortion, exactly `size`."""
    if image.size == size:
        return image
    return ImageOps.fit(image, size, method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid over black (the colour of the frame around it)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _unreadable(index: int, why: str) -> RenderError:
    return RenderError(
        f"Scene {index + 1}'s image could not be read as a picture: {why}. Upload a JPEG, PNG or WebP.",
        step="images",
    )


def load_creator_image(path: Path, index: int, size: tuple[int, int]) -> Image.Image:
    """Open, check and upright a creator's picture; RenderError with a readable reason if it isn't one."""
    try:
        with Image.open(path) as probe:
            kind = probe.format
            width, height = probe.size
            if kind not in UPLOAD_FORMATS:
                raise _unreadable(index, f"it is {kind or 'an unknown'} format")
            if width * height > MAX_UPLOAD_PIXELS:
                raise _unreadable(
                    index, f"it is {width}x{height}, more than {MAX_UPLOAD_PIXELS // 1_000_000} megapixels"
                )
            probe.verify()
        with Image.open(path) as image:
            if image.format == "JPEG":
                # Let libjpeg decode at a reduced scale when the picture is much larger than needed.
                image.draft("RGB", (max(size), max(size)))
            image.load()
            upright = ImageOps.exif_transpose(image)
            return _flatten(upright)
    except RenderError:
        raise
    except FileNotFoundError:
        raise _unreadable(index, "the file is missing") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        # Pillow reports truncated or corrupt files as OSError/SyntaxError/ValueError.
        raise _unreadable(index, str(error) or type(error).__name__) from error


def _decode_picture(picture: Picture, provider: str) -> Image.Image:
    """A provider's bytes as a picture; undecodable bytes are that provider's failure."""
    try:
        with Image.open(io.BytesIO(picture.data)) as image:
            image.load()
            return _flatten(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ProviderError(f"{provider} returned bytes that are not a picture ({error})") from error


def _usable_as_is(picture: Picture, size: tuple[int, int]) -> bool:
    """Whether a provider's bytes are an RGB JPEG of exactly `size` that decodes (the local
    illustrator's are): the still is then those bytes, no re-encode. The check decodes at an
    eighth of the scale (libjpeg still reads every byte), so no full-size copy is made for it."""
    try:
        with Image.open(io.BytesIO(picture.data)) as image:
            if image.format != "JPEG" or image.mode != "RGB" or image.size != size:
                return False
            image.draft("RGB", (max(1, size[0] // 8), max(1, size[1] // 8)))
            image.load()
            return True
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False  # decoded in full by the caller, which says what is wrong with it


def _provider_tag(provider: object) -> str:
    name = str(getattr(provider, "name", ""))
    version = getattr(provider, "version", None)
    return f"{name}@{version}" if version else name


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps([STILL_VERSION, *parts], ensure_ascii=False).encode()).hexdigest()


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _reusable(still: Path, sidecar: Path, key: str) -> bool:
    if not (still.is_file() and sidecar.is_file()):
        return False
    try:
        return bool(json.loads(sidecar.read_text()).get("key") == key)
    except (OSError, ValueError):
        return False


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, path)


def _save_still(image: Image.Image, still: Path, sidecar: Path, key: str, source: dict[str, object]) -> None:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=STILL_QUALITY)
    _write_atomically(still, buffer.getvalue())
    # The sidecar goes last: a still without a matching sidecar is never trusted.
    _write_atomically(sidecar, json.dumps({"key": key, **source}, ensure_ascii=False).encode())


def _shared_still(cache_dir: Path, key: str) -> tuple[Path, Path]:
    still = cache_dir / "stills" / key[:2] / f"{key}.jpg"
    return still, still.with_suffix(".json")


def _take_shared_still(cache_dir: Path, key: str, still: Path, sidecar: Path) -> bool:
    """Copy a painted still made from the same inputs by an earlier job (another version of the
    video) into this job's work dir. A cloud painter is paid once per picture, and the picture
    stays the same, so the scene's cached segments still match."""
    shared, shared_sidecar = _shared_still(cache_dir, key)
    if not _reusable(shared, shared_sidecar, key):
        return False
    try:
        _write_atomically(still, shared.read_bytes())
        _write_atomically(sidecar, shared_sidecar.read_bytes())
        for path in (shared, shared_sidecar):  # a hit refreshes their age: retention prunes unused ones
            os.utime(path)
    except OSError:
        return False
    return True


def _share_still(cache_dir: Path, key: str, still: Path, sidecar: Path) -> None:
    shared, shared_sidecar = _shared_still(cache_dir, key)
    if shared_sidecar.exists():
        return
    try:
        shared.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(shared, still.read_bytes())
        _write_atomically(shared_sidecar, sidecar.read_bytes())  # last: a still is trusted only with it
    except OSError:
        return  # an unwritable cache only costs painting the picture again next time


def prepare_scene_images(
    plan: Plan, settings: RenderSettings, callbacks: Callbacks, providers: ProviderSet
) -> list[Path]:
    """One still per scene under `work_dir/images`, each exactly oversample_size(frame).

    Paintings run on `settings.parallelism` threads; everything else (uploads, stock footage,
    reuse) stays on the calling thread, and so do the callbacks: each scene's log lines are held
    and given, with its progress, in scene order, exactly as one scene after another would.
    """
    frame = plan.frame_size(settings.proxy_short_side)
    size = oversample_size(frame)
    directory = settings.work_dir / "images"
    directory.mkdir(parents=True, exist_ok=True)
    # A provider that versions its pictures (the offline painter) keys its stills by that version
    # too, so a changed painter repaints instead of reusing what an older one painted.
    chain = [_provider_tag(provider) for provider in providers.images]
    stills: list[Path] = []
    total = len(plan.scenes)
    workers = max(1, min(settings.parallelism, total))
    # (still, held log lines, the painting in flight or None); finished strictly in scene order.
    pending: deque[tuple[Path, list[tuple[str, str]], Future[None] | None]] = deque()

    def finish_oldest() -> None:
        still, lines, painting = pending[0]
        error: BaseException | None = None
        if painting is not None:
            error = painting.exception()
        for level, message in lines:
            callbacks.log(level, message)
        if error is not None:
            raise error
        pending.popleft()
        stills.append(still)
        callbacks.progress("images", len(stills) / total)
        callbacks.produced("images", [still])

    allocator.single_arena()  # what the painting threads free goes back to the system
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="paint")
    try:
        for index in range(total):
            # At most `workers` paintings in flight at once.
            while sum(1 for *_, painting in pending if painting is not None and not painting.done()) >= workers:
                finish_oldest()
            while pending and pending[0][2] is None:
                finish_oldest()
            callbacks.check_canceled()
            lines: list[tuple[str, str]] = []
            held = replace(callbacks, log=_holder(lines))
            still = directory / f"scene_{index:02d}.jpg"
            try:
                painting = _prepare_scene(plan, index, settings, providers, held, pool, size, frame, chain, still)
            except BaseException:
                # As one scene after another: the scenes before this one end first (or fail first).
                while pending:
                    finish_oldest()
                for level, message in lines:
                    callbacks.log(level, message)
                raise
            pending.append((still, lines, painting))
        while pending:
            finish_oldest()
    finally:
        for *_, painting in pending:
            if painting is not None:
                painting.cancel()
        pool.shutdown(wait=True)
    return stills


def _holder(lines: list[tuple[str, str]]) -> Callable[[str, str], None]:
    """A log callback that keeps its lines, to be given in scene order."""

    def hold(level: str, message: str) -> None:
        lines.append((level, message))

    return hold


def _prepare_scene(
    plan: Plan,
    index: int,
    settings: RenderSettings,
    providers: ProviderSet,
    callbacks: Callbacks,
    pool: ThreadPoolExecutor,
    size: tuple[int, int],
    frame: tuple[int, int],
    chain: list[str],
    still: Path,
) -> Future[None] | None:
    """Make or reuse one scene's still; a picture to paint is handed to `pool` (its future returned)."""
    scene = plan.scenes[index]
    sidecar = still.with_suffix(".json")
    if scene.image:
        try:
            source = callbacks.resolve_image(scene.image)
            key = _key("upload", PHOTO_FIT_VERSION, _file_digest(source), size)
        except FileNotFoundError:
            raise _unreadable(index, "the file is missing") from None
        except OSError as error:
            raise _unreadable(index, str(error)) from error
        if _reusable(still, sidecar, key):
            callbacks.log("info", f"scene {index + 1} image: reused")
        else:
            fitted = fit_photo(load_creator_image(source, index, size), size)
            fit = {"layout": fitted.layout, "subject": [round(part, 4) for part in fitted.subject]}
            _save_still(fitted.image, still, sidecar, key, {"source": "upload", "name": scene.image, "fit": fit})
        return None
    if scene.stock_footage and _footage_still(
        scene.image_prompt, index, frame, size, settings, providers, callbacks, still, sidecar
    ):
        return None
    prompt = styled_prompt(scene.image_prompt, plan.style)
    seed = scene_seed(plan.title, index, scene.image_prompt)
    key = _key("generated", prompt, plan.style, size, seed, chain)
    if _reusable(still, sidecar, key):
        callbacks.log("info", f"scene {index + 1} image: reused")
        return None
    if _take_shared_still(settings.cache_dir, key, still, sidecar):
        callbacks.log("info", f"scene {index + 1} image: reused from an earlier render")
        return None

    def paint() -> None:
        _paint_still(plan.style, prompt, seed, size, index, providers, callbacks, still, sidecar, key)
        _share_still(settings.cache_dir, key, still, sidecar)

    return pool.submit(paint)


def _paint_still(
    style: str,
    prompt: str,
    seed: str,
    size: tuple[int, int],
    index: int,
    providers: ProviderSet,
    callbacks: Callbacks,
    still: Path,
    sidecar: Path,
    key: str,
) -> None:
    def generate(provider: object) -> tuple[Picture, Image.Image | None]:
        picture = provider.generate(prompt, style, size, seed)  # type: ignore[attr-defined]
        if _usable_as_is(picture, size):
            return picture, None
        return picture, _decode_picture(picture, provider.name)  # type: ignore[attr-defined]

    try:
        provider, (picture, image) = with_fallback(
            providers.images, generate, callbacks.log, f"scene {index + 1} image"
        )
    except ProviderError as error:
        raise RenderError(f"Scene {index + 1}'s picture could not be made: {error}", step="images") from error
    source = {"source": "generated", "provider": provider.name, "cost": picture.cost}
    callbacks.log("info", f"scene {index + 1} image: {provider.name}")
    if image is None:
        # Already the right size and a JPEG (the local illustrator): keep its bytes, no re-encode.
        _write_atomically(still, picture.data)
        _write_atomically(sidecar, json.dumps({"key": key, **source}, ensure_ascii=False).encode())
    else:
        _save_still(cover_fit(image, size), still, sidecar, key, source)


def _footage_still(
    prompt: str,
    index: int,
    frame: tuple[int, int],
    size: tuple[int, int],
    settings: RenderSettings,
    providers: ProviderSet,
    callbacks: Callbacks,
    still: Path,
    sidecar: Path,
) -> bool:
    """Fetch (or reuse) the scene's stock clip and make its still from the clip's best frame.

    Returns False, after a warning in the log, when there is no footage to be had: the caller
    then paints the scene as usual.
    """
    provider = providers.footage
    if provider is None:
        why = "no stock footage provider is configured"
    else:
        try:
            footage = _scene_clip(prompt, index, frame, settings, provider, callbacks)
            key = _key("footage", _file_digest(footage.clip), size)
            if _reusable(still, sidecar, key):
                callbacks.log("info", f"scene {index + 1} image: reused")
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    frame_file = best_frame(footage.clip, Path(tmp) / "frame.png", size)
                    image = _decode_picture(Picture(data=frame_file.read_bytes()), provider.name)
                source: dict[str, object] = {
                    "source": "footage",
                    "clip": f"{FOOTAGE_DIR}/{footage.clip.name}",
                    **footage.credit(),
                }
                _save_still(cover_fit(image, size), still, sidecar, key, source)
                callbacks.log("info", f"scene {index + 1} image: stock footage from {provider.name}")
            return True
        except ProviderError as error:
            why = str(error)
            # Whatever was downloaded is not trusted again: the next run searches afresh.
            (settings.work_dir / FOOTAGE_DIR / f"scene_{index:02d}.json").unlink(missing_ok=True)
    callbacks.log("warning", f"scene {index + 1}: stock footage unavailable ({why}); painting the scene instead")
    return False


def _scene_clip(
    prompt: str,
    index: int,
    frame: tuple[int, int],
    settings: RenderSettings,
    provider: FootageProvider,
    callbacks: Callbacks,
) -> SceneFootage:
    """The scene's clip under work_dir/footage: downloaded once, reused while its search is the same."""
    directory = settings.work_dir / FOOTAGE_DIR
    directory.mkdir(parents=True, exist_ok=True)
    clip = directory / f"scene_{index:02d}.mp4"
    sidecar = directory / f"scene_{index:02d}.json"
    name = provider.name
    query = stock_keywords(prompt)
    key = _key("footage-search", name, query, frame)
    if _reusable(clip, sidecar, key):
        callbacks.log("info", f"scene {index + 1} stock footage: reused")
        return SceneFootage.from_credit(clip, json.loads(sidecar.read_text()), name)
    sidecar.unlink(missing_ok=True)  # a clip without a matching sidecar is never trusted
    footage = provider.fetch(query, frame, clip)
    if footage.clip != clip:
        os.replace(footage.clip, clip)
    scene = SceneFootage.from_credit(clip, vars(footage), name)
    _write_atomically(sidecar, json.dumps({"key": key, **scene.credit()}, ensure_ascii=False).encode())
    return scene


def scene_footage(stills: list[Path]) -> list[SceneFootage | None]:
    """For each still made by prepare_scene_images, the clip its scene plays instead, or None.

    Read from the stills' sidecars, so it always matches the stills this run made or reused.
    """
    found: list[SceneFootage | None] = []
    for still in stills:
        try:
            source = json.loads(still.with_suffix(".json").read_text())
        except (OSError, ValueError):
            source = {}
        clip = still.parent.parent / str(source.get("clip", "")) if source.get("source") == "footage" else None
        if clip is None or not clip.is_file():
            found.append(None)
            continue
        found.append(SceneFootage.from_credit(clip, source))
    return found


def scene_motions(stills: list[Path], frame: tuple[int, int]) -> list[Motion | None]:
    """For each still made by prepare_scene_images, the Ken Burns motion of an uploaded photo
    (toward its subject, gentle when framed), or None for the usual cycle of painted stills.

    Read from the stills' sidecars, like scene_footage; the motion follows from the sidecar's
    fit, the still's size and the scene's position, all part of the segment's cache key.
    """
    motions: list[Motion | None] = []
    for index, still in enumerate(stills):
        try:
            fit = json.loads(still.with_suffix(".json").read_text()).get("fit")
            layout, (x, y) = str(fit["layout"]), fit["subject"]
            with Image.open(still) as image:  # reads the header only
                size = image.size
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            motions.append(None)
            continue
        motions.append(photo_motion(index, layout, (float(x), float(y)), size, frame))
    return motions
