"""Fitting a creator's photo to the video's still: never stretched, its subject kept. No Django here.

A photo close to the frame's shape (within FRAMED_ASPECT_RATIO) is cover-cropped, the crop
placed around its subject. Any other photo — a phone's portrait shot in a 16:9 video, a landscape
in a 9:16 short — would lose most of itself to a cover crop, so it is shown whole instead,
centred over a blurred, darkened copy of itself that fills the frame (the "framed" layout).

The subject is estimated once, cheaply: where the detail is. Edges on a small grey copy (Sobel),
the strongest tenth of them, their centroid. That is enough to tell a face in a corner from an
empty sky, and it costs a few milliseconds whatever the photo's size.

Everything here runs once per scene, when the still is prepared at its final (oversampled) size;
compose only moves a window over the result, so nothing here adds per-frame work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image, ImageFilter

# Part of an uploaded photo's still key: bump whenever anything below changes its pixels or
# its layout/subject (and so its motion), so prepared stills and their segments stop matching.
PHOTO_FIT_VERSION = "1"
# A photo whose aspect differs from the frame's by more than this factor is framed, not cropped:
# a cover crop would cut more than ~13% of it away.
FRAMED_ASPECT_RATIO = 1.15
# The framed photo's largest share of the still's width and height. It leaves a thin blurred
# border and, with the framed motions' zoom of at most 1/FRAMED_FILL, the whole photo on screen.
FRAMED_FILL = 0.94
BACKDROP_BRIGHTNESS = 0.45
# The backdrop is blurred at 1/BACKDROP_REDUCTION of the still's size and scaled back up:
# cheap, and softer than any blur radius affordable at full size.
BACKDROP_REDUCTION = 16
# The blur's radius, as a share of the backdrop's short side (about 1/8: a face becomes a glow).
BACKDROP_BLUR_SHARE = 8
SALIENCY_SIDE = 96  # the grey copy's longer side for the subject estimate
SALIENCY_TOP_SHARE = 0.10  # the strongest share of edge pixels whose centroid is the subject

Layout = Literal["cover", "framed"]


@dataclass(frozen=True)
class FittedPhoto:
    """A photo prepared as a still: exactly the still's size.

    `subject` is where the photo's subject lies in the still (fractions of its width and
    height); `photo_box` is where the photo's own pixels lie in the still (left, top, right,
    bottom; the whole still for a cover crop).
    """

    image: Image.Image
    layout: Layout
    subject: tuple[float, float]
    photo_box: tuple[int, int, int, int]


def aspect_mismatch(photo: tuple[int, int], frame: tuple[int, int]) -> float:
    """How many times wider (or taller) than the frame the photo is, always ≥ 1."""
    ratio = (photo[0] / photo[1]) / (frame[0] / frame[1])
    return max(ratio, 1 / ratio)


def subject_centre(image: Image.Image) -> tuple[float, float]:
    """Where the photo's detail is, as fractions of its width and height; the centre if it has none."""
    grey = image.convert("L")
    grey.thumbnail((SALIENCY_SIDE, SALIENCY_SIDE), Image.Resampling.BILINEAR)
    pixels = np.asarray(grey, dtype=np.float32)
    if min(pixels.shape) < 4:
        return 0.5, 0.5
    # Sobel on the interior (the border has no neighbours to compare with).
    dx = (pixels[:-2, 2:] + 2 * pixels[1:-1, 2:] + pixels[2:, 2:]) - (
        pixels[:-2, :-2] + 2 * pixels[1:-1, :-2] + pixels[2:, :-2]
    )
    dy = (pixels[2:, :-2] + 2 * pixels[2:, 1:-1] + pixels[2:, 2:]) - (
        pixels[:-2, :-2] + 2 * pixels[:-2, 1:-1] + pixels[:-2, 2:]
    )
    energy = np.hypot(dx, dy)
    if float(energy.max()) < 8.0:  # flat, or only JPEG noise: no subject to follow
        return 0.5, 0.5
    threshold = np.quantile(energy, 1 - SALIENCY_TOP_SHARE)
    weights = np.where(energy >= threshold, energy, 0.0)
    rows, cols = np.indices(energy.shape)
    total = float(weights.sum())
    # +1: the energy map starts one pixel in; +0.5: a pixel's centre.
    x = (float((weights * cols).sum()) / total + 1.5) / pixels.shape[1]
    y = (float((weights * rows).sum()) / total + 1.5) / pixels.shape[0]
    return min(1.0, max(0.0, x)), min(1.0, max(0.0, y))


def cover_box(
    photo: tuple[int, int], target: tuple[int, int], subject: tuple[float, float]
) -> tuple[float, float, float, float]:
    """The largest region of `photo` with the target's exact aspect, as near centred on `subject`
    as the photo's edges allow (left, top, right, bottom; fractional pixels)."""
    width, height = photo
    scale = min(width / target[0], height / target[1])
    crop_w, crop_h = target[0] * scale, target[1] * scale
    left = min(max(subject[0] * width - crop_w / 2, 0.0), max(0.0, width - crop_w))
    top = min(max(subject[1] * height - crop_h / 2, 0.0), max(0.0, height - crop_h))
    return left, top, left + crop_w, top + crop_h


def contain_size(photo: tuple[int, int], box: tuple[float, float]) -> tuple[int, int]:
    """The photo's size scaled to fit inside `box`, aspect kept (rounded to whole pixels)."""
    scale = min(box[0] / photo[0], box[1] / photo[1])
    return max(1, round(photo[0] * scale)), max(1, round(photo[1] * scale))


def fit_photo(image: Image.Image, size: tuple[int, int]) -> FittedPhoto:
    """`image` (upright RGB) as a still of exactly `size`: cover-cropped around its subject when its
    shape is close to the still's, otherwise whole and centred over a blurred, darkened copy."""
    subject = subject_centre(image)
    if aspect_mismatch(image.size, size) <= FRAMED_ASPECT_RATIO:
        box = cover_box(image.size, size, subject)
        still = image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=2.0)
        left, top, right, bottom = box
        in_still = (
            (subject[0] * image.width - left) / (right - left),
            (subject[1] * image.height - top) / (bottom - top),
        )
        return FittedPhoto(still, "cover", in_still, (0, 0, *size))
    still = _backdrop(image, size, subject)
    photo_size = contain_size(image.size, (size[0] * FRAMED_FILL, size[1] * FRAMED_FILL))
    photo = image.resize(photo_size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    left, top = (size[0] - photo_size[0]) // 2, (size[1] - photo_size[1]) // 2
    still.paste(photo, (left, top))
    in_still = ((left + subject[0] * photo_size[0]) / size[0], (top + subject[1] * photo_size[1]) / size[1])
    return FittedPhoto(still, "framed", in_still, (left, top, left + photo_size[0], top + photo_size[1]))


def _backdrop(image: Image.Image, size: tuple[int, int], subject: tuple[float, float]) -> Image.Image:
    """The photo cover-cropped to `size`, heavily blurred and darkened, to sit behind it."""
    small = (max(2, size[0] // BACKDROP_REDUCTION), max(2, size[1] // BACKDROP_REDUCTION))
    reduced = image.resize(small, Image.Resampling.BOX, box=cover_box(image.size, small, subject), reducing_gap=2.0)
    blurred = reduced.filter(ImageFilter.GaussianBlur(radius=max(1.0, min(small) / BACKDROP_BLUR_SHARE)))
    darkened = blurred.point(lambda level: round(level * BACKDROP_BRIGHTNESS))
    return darkened.resize(size, Image.Resampling.BICUBIC)
