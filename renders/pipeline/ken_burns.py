"""Ken Burns motion: slow zooms and pans over a still, as ffmpeg scale/crop expressions. No Django here.

Why scale-then-crop and not zoompan: zoompan rounds its crop window to whole source pixels and
re-samples every frame from the full image, which is slower and visibly jitters. Here the still
(oversampled 1.25× the frame, so zooming up to 1.25 never upsamples) is scaled per frame to a
size that grows or shrinks smoothly, rounded to the nearest *output* pixel, and a frame-sized
window is cropped from it at an offset also rounded to the nearest output pixel, so every edge
of the luma stays within half an output pixel of its exact position (the scale writes 4:2:0, so
at an odd offset chroma sits half a chroma sample off) — the least a scale/crop graph can do
without re-sampling at sub-pixel offsets (perspective can, but costs ~25 ms a 1080p frame on one core; this costs
~5 ms with bilinear scaling, ~8 ms with bicubic — next to x264 veryfast's ~28 ms).

Motion is a function of the frame's position inside the scene's *visible span* (the scene's
own frames plus the half-crossfades on either side), so a scene segment and the transition
segments that show the same scene evaluate the same motion at the same instants: motion is
continuous across segment cuts.

Painted stills cycle through MOTIONS by scene index. A creator's photo gets `photo_motion`
instead: a zoom toward the subject that photo_fit found (or gently about the centre when the
photo is framed over a blurred copy of itself), chosen when its still is prepared.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Motion:
    """Zoom and crop position at the start and end of a scene's visible span.

    `zoom` 1.0 means the still just covers the frame. `x`/`y` place the crop window inside the
    slack that the zoom leaves: 0 = left/top edge, 0.5 = centred, 1 = right/bottom edge.
    """

    name: str
    zoom_start: float
    zoom_end: float
    x_start: float = 0.5
    x_end: float = 0.5
    y_start: float = 0.5
    y_end: float = 0.5


# A fixed cycle, so the same scene index always moves the same way and a cached segment
# stays valid. Zooms stay within 1.14 — comfortably inside the 1.25 oversampling. Zooms and
# pans alternate; pans hold one zoom (see motion_filters for why that is cheap).
MOTIONS: tuple[Motion, ...] = (
    Motion("zoom-in", 1.0, 1.12),
    Motion("pan-right", 1.10, 1.10, x_start=0.0, x_end=1.0),
    Motion("zoom-out", 1.14, 1.02, y_start=0.35, y_end=0.5),
    Motion("pan-left", 1.12, 1.12, x_start=1.0, x_end=0.0, y_start=0.6, y_end=0.4),
    Motion("zoom-in-high", 1.02, 1.14, x_start=0.45, x_end=0.55, y_start=0.5, y_end=0.25),
    Motion("pan-up", 1.12, 1.12, x_start=0.3, x_end=0.7, y_start=1.0, y_end=0.0),
)


def motion_for_scene(index: int) -> Motion:
    return MOTIONS[index % len(MOTIONS)]


# A creator's photo moves less than painted art, and toward its subject. Cover-cropped photos
# zoom to (or from) PHOTO_ZOOM around the subject; framed photos (whole, over a blurred copy)
# breathe by FRAMED_ZOOM about their centre, which keeps the whole photo on screen as long as
# it fills at most 1/FRAMED_ZOOM of the still (photo_fit.FRAMED_FILL).
PHOTO_ZOOM = 1.12
FRAMED_ZOOM = 1.06


def offset_towards(subject: float, zoom: float, still_side: int, frame_side: int, scale: float) -> float:
    """The crop offset (0..1 of the slack, as Motion.x/y) that centres the window on `subject`
    (a fraction of the still's side) at `zoom`, clamped so the window stays inside the still."""
    scaled = still_side * scale * zoom
    slack = scaled - frame_side
    if slack <= 1e-9:
        return 0.5
    return min(1.0, max(0.0, (subject * scaled - frame_side / 2) / slack))


def photo_motion(
    index: int, layout: str, subject: tuple[float, float], still: tuple[int, int], frame: tuple[int, int]
) -> Motion:
    """The motion of an uploaded photo's still: scenes alternate between zooming in and out.

    A cover-cropped photo zooms in until its subject is centred (as far as the still allows), or
    starts close on the subject and opens out. A framed photo — the whole composed still, photo
    and backdrop together — zooms gently about its centre, so the photo never leaves the frame.
    The offsets are constant through the zoom: with the slack growing from zero, the window's
    centre glides steadily from the still's centre to the subject.
    """
    zoom_in = index % 2 == 0
    if layout == "framed":
        low, high = 1.0, FRAMED_ZOOM
        x = y = 0.5
    else:
        low, high = 1.0, PHOTO_ZOOM
        scale = cover_scale(still, frame)
        x = round(offset_towards(subject[0], high, still[0], frame[0], scale), 4)
        y = round(offset_towards(subject[1], high, still[1], frame[1], scale), 4)
    name = f"photo-{layout}-zoom-{'in' if zoom_in else 'out'}"
    start, end = (low, high) if zoom_in else (high, low)
    return Motion(name, start, end, x_start=x, x_end=x, y_start=y, y_end=y)


def cover_scale(still: tuple[int, int], frame: tuple[int, int]) -> float:
    """Factor that makes the still just cover the frame (the larger of the two axis ratios)."""
    return max(frame[0] / still[0], frame[1] / still[1])


@dataclass(frozen=True)
class Window:
    """The still scaled to `scaled` (output pixels) and the frame-sized crop's top-left corner."""

    scaled_width: float
    scaled_height: float
    x: float
    y: float


def window_at(motion: Motion, progress: float, still: tuple[int, int], frame: tuple[int, int]) -> Window:
    """The exact (unrounded) window at `progress` 0..1 through the visible span."""
    p = min(1.0, max(0.0, progress))
    zoom = motion.zoom_start + (motion.zoom_end - motion.zoom_start) * p
    base = cover_scale(still, frame) * zoom
    width, height = still[0] * base, still[1] * base
    fx = motion.x_start + (motion.x_end - motion.x_start) * p
    fy = motion.y_start + (motion.y_end - motion.y_start) * p
    return Window(width, height, (width - frame[0]) * fx, (height - frame[1]) * fy)


def _lerp(start: float, end: float, progress: str) -> str:
    if start == end:
        return f"{start:.6f}"
    return f"({start:.6f}+{end - start:.6f}*{progress})"


@dataclass(frozen=True)
class MotionFilters:
    """Filter chains for one segment: `once` runs on the still before it is looped (empty when
    there is nothing to do once), `per_frame` on every looped copy."""

    once: str
    per_frame: str
    once_size: tuple[int, int] | None = None  # the still's size after `once` (None: `once` keeps it)


def motion_filters(
    motion: Motion,
    still: tuple[int, int],
    frame: tuple[int, int],
    *,
    first_frame: int,
    span_frames: int,
    scale_flags: str = "bilinear",
) -> MotionFilters:
    """Filters for frames of a segment that starts `first_frame` frames into the scene's visible
    span of `span_frames` frames (ffmpeg's `n` counts the segment's frames from 0).

    A zoom scales every frame to its own size, then crops the frame. A pan keeps one zoom, so the
    still is scaled once (with a sharper filter, since it is done once) and each frame is only a
    crop of it — a pointer move, no pixel work: pans cost little more than encoding.
    """
    width, height = frame
    last = max(1, span_frames - 1)
    # Commas inside expressions are protected by the single quotes around each option value.
    progress = f"clip((n+{first_frame})/{last},0,1)"
    base = cover_scale(still, frame)
    x_share = _lerp(motion.x_start, motion.x_end, progress)
    y_share = _lerp(motion.y_start, motion.y_end, progress)
    if motion.zoom_start == motion.zoom_end:
        scaled = (
            max(width, round(still[0] * base * motion.zoom_start)),
            max(height, round(still[1] * base * motion.zoom_start)),
        )
        crop = _crop(frame, f"round({scaled[0] - width}*{x_share})", f"round({scaled[1] - height}*{y_share})")
        return MotionFilters(f"scale={scaled[0]}:{scaled[1]}:flags=lanczos", crop, scaled)
    zoom = _lerp(motion.zoom_start, motion.zoom_end, progress)
    scaled_w = f"max({width},round({still[0] * base:.6f}*{zoom}))"
    scaled_h = f"max({height},round({still[1] * base:.6f}*{zoom}))"
    # The crop's offsets repeat the scaled size's own expression: crop's `iw`/`ih` keep the size
    # of the first frame it was configured with, not the size each scaled frame really has.
    crop = _crop(frame, f"round(({scaled_w}-{width})*{x_share})", f"round(({scaled_h}-{height})*{y_share})")
    return MotionFilters("", f"scale=w='{scaled_w}':h='{scaled_h}':eval=frame:flags={scale_flags},{crop}")


def _crop(frame: tuple[int, int], x: str, y: str) -> str:
    return f"crop=w={frame[0]}:h={frame[1]}:x='{x}':y='{y}':exact=1,setsar=1"
