"""Fitting a creator's photo to a still: layout, no stretching, the subject, and its motion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from renders.pipeline.images import load_creator_image
from renders.pipeline.ken_burns import FRAMED_ZOOM, PHOTO_ZOOM, photo_motion, window_at
from renders.pipeline.photo_fit import (
    BACKDROP_BRIGHTNESS,
    FRAMED_FILL,
    cover_box,
    fit_photo,
    subject_centre,
)

STILL_16_9 = (800, 450)  # the oversampled still of a 640x360 frame
FRAME_16_9 = (640, 360)
LIGHT, DARK = (240, 200, 80), (40, 90, 200)


def _checkerboard(size: tuple[int, int], cell: int) -> Image.Image:
    """Square cells of `cell` pixels, LIGHT and DARK, starting LIGHT at the top left."""
    image = Image.new("RGB", size, DARK)
    draw = ImageDraw.Draw(image)
    for top in range(0, size[1], cell):
        for left in range(0, size[0], cell):
            if (left // cell + top // cell) % 2 == 0:
                draw.rectangle((left, top, left + cell - 1, top + cell - 1), fill=LIGHT)
    return image


def _detail_in_corner(size: tuple[int, int], corner: tuple[float, float]) -> Image.Image:
    """Smooth grey with a small busy patch (a fine checkerboard) centred at `corner` (fractions)."""
    image = Image.new("RGB", size, (128, 128, 128))
    patch = _checkerboard((size[0] // 6, size[1] // 6), 4)
    image.paste(patch, (round(corner[0] * size[0] - patch.width / 2), round(corner[1] * size[1] - patch.height / 2)))
    return image


def _light_runs(line: np.ndarray) -> list[int]:
    """Lengths of the runs of LIGHT pixels (red channel above 150) along a row or column,
    without the first and last (which may be cut by an edge)."""
    light = line[:, 0] > 150
    runs, length = [], 0
    for value in light:
        if value:
            length += 1
        elif length:
            runs.append(length)
            length = 0
    return runs[1:]  # a run still open at the end is never appended


def test_it_frames_a_portrait_photo_whole_in_a_16_9_still():
    photo = _checkerboard((600, 800), 100)

    fitted = fit_photo(photo, STILL_16_9)

    assert fitted.layout == "framed" and fitted.image.size == STILL_16_9
    left, top, right, bottom = fitted.photo_box
    # As tall as the fill allows, its own 3:4 shape to the pixel, centred.
    assert bottom - top == round(STILL_16_9[1] * FRAMED_FILL)
    assert abs((right - left) - (bottom - top) * 3 / 4) <= 1
    assert abs(left - (STILL_16_9[0] - right)) <= 1 and abs(top - (STILL_16_9[1] - bottom)) <= 1
    pixels = np.asarray(fitted.image).astype(int)
    # Inside the box: the photo itself, every cell square.
    cells = pixels[top:bottom, left:right]
    assert _light_runs(cells[cells.shape[0] // 2 + 5]) and _light_runs(cells[:, cells.shape[1] // 2 + 5])
    across = np.median(_light_runs(cells[cells.shape[0] // 2 + 5]))
    down = np.median(_light_runs(cells[:, cells.shape[1] // 2 + 5]))
    assert abs(across - down) <= 1
    # Outside it: a blurred (smooth), darkened copy filling the rest of the still.
    side = pixels[:, : left - 2]
    assert np.abs(np.diff(side, axis=1)).mean() < 1.0 and np.abs(np.diff(side, axis=0)).mean() < 1.0
    assert np.abs(np.diff(cells, axis=1)).mean() > 2  # the photo's own cells are sharp
    mean_colour = np.asarray(photo).reshape(-1, 3).mean(axis=0)
    assert np.allclose(side.mean(axis=(0, 1)), mean_colour * BACKDROP_BRIGHTNESS, atol=12)


def test_it_frames_a_landscape_photo_whole_in_a_9_16_still():
    fitted = fit_photo(_checkerboard((800, 600), 100), (450, 800))

    assert fitted.layout == "framed" and fitted.image.size == (450, 800)
    left, top, right, bottom = fitted.photo_box
    assert right - left == round(450 * FRAMED_FILL)
    assert abs((bottom - top) - (right - left) * 3 / 4) <= 1
    assert abs(top - (800 - bottom)) <= 1


def test_it_cover_crops_a_photo_close_to_the_frames_shape_without_stretching_it():
    photo = _checkerboard((1600, 1000), 50)  # 16:10, within 15% of 16:9

    fitted = fit_photo(photo, STILL_16_9)

    assert fitted.layout == "cover" and fitted.photo_box == (0, 0, *STILL_16_9)
    pixels = np.asarray(fitted.image).astype(int)
    across = np.median(_light_runs(pixels[200]))
    down = np.median(_light_runs(pixels[:, 400]))
    # 50-pixel cells at 450/900 scale: 25 pixels either way.
    assert abs(across - 25) <= 1 and abs(down - 25) <= 1


def test_it_places_the_cover_crop_exactly_in_shape():
    for photo, subject in [((1600, 1000), (0.5, 0.5)), ((1000, 1600), (0.1, 0.9)), ((1921, 1079), (1.0, 0.0))]:
        left, top, right, bottom = cover_box(photo, (1920, 1080), subject)
        assert (right - left) / (bottom - top) == pytest.approx(1920 / 1080)
        assert 0 <= left and right <= photo[0] + 1e-9 and 0 <= top and bottom <= photo[1] + 1e-9
        assert (right - left) == pytest.approx(photo[0]) or (bottom - top) == pytest.approx(photo[1])


def test_it_finds_the_subject_where_the_detail_is():
    x, y = subject_centre(_detail_in_corner((640, 360), (0.8, 0.25)))
    assert abs(x - 0.8) < 0.05 and abs(y - 0.25) < 0.05
    assert subject_centre(Image.new("RGB", (300, 200), (90, 120, 60))) == (0.5, 0.5)


def test_it_moves_the_cover_crop_toward_an_off_centre_subject():
    # 2:1 is within 15% of 16:9: cropped, and the crop slides right as far as it can.
    photo = _detail_in_corner((1000, 500), (0.92, 0.5))

    fitted = fit_photo(photo, STILL_16_9)

    assert fitted.layout == "cover"
    left, _top, right, _bottom = cover_box(photo.size, STILL_16_9, subject_centre(photo))
    assert right == pytest.approx(1000) and left > 100
    assert fitted.subject[0] > 0.75
    # The crop's right edge is the photo's: the busy patch is in the still's right part.
    pixels = np.asarray(fitted.image.convert("L")).astype(int)
    assert pixels[:, 600:].std() > 3 * pixels[:, :300].std()


def test_it_honours_exif_orientation_before_fitting(tmp_path: Path):
    # Stored 200x100 (landscape); EXIF 6 says "rotate 90° clockwise to view": upright it is 100x200.
    stored = _checkerboard((200, 100), 25)
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(tmp_path / "phone.jpg", "JPEG", quality=95, exif=exif)

    upright = load_creator_image(tmp_path / "phone.jpg", 0, STILL_16_9)
    fitted = fit_photo(upright, STILL_16_9)

    assert upright.size == (100, 200)
    left, top, right, bottom = fitted.photo_box
    assert fitted.layout == "framed"
    assert abs((right - left) * 2 - (bottom - top)) <= 1  # a 1:2 portrait, not a squeezed landscape


@pytest.mark.parametrize("index", [0, 1])
def test_it_zooms_a_cover_photo_toward_its_subject_and_stays_inside(index):
    subject = (0.85, 0.45)
    motion = photo_motion(index, "cover", subject, STILL_16_9, FRAME_16_9)

    assert {motion.zoom_start, motion.zoom_end} == {1.0, PHOTO_ZOOM}
    close = 1.0 if motion.zoom_end == PHOTO_ZOOM else 0.0  # the progress at which it is closest
    for step in range(101):
        window = window_at(motion, step / 100, STILL_16_9, FRAME_16_9)
        assert -1e-6 <= window.x <= window.scaled_width - FRAME_16_9[0] + 1e-6
        assert -1e-6 <= window.y <= window.scaled_height - FRAME_16_9[1] + 1e-6
    window = window_at(motion, close, STILL_16_9, FRAME_16_9)
    centre = (
        (window.x + FRAME_16_9[0] / 2) / window.scaled_width,
        (window.y + FRAME_16_9[1] / 2) / window.scaled_height,
    )
    # Centred on the subject as far as the still allows: x stops at the still's right edge.
    assert centre[0] == pytest.approx(1 - FRAME_16_9[0] / 2 / window.scaled_width)
    assert centre[1] == pytest.approx(subject[1], abs=0.01)


def test_it_keeps_a_framed_photo_whole_on_screen_while_it_moves():
    fitted = fit_photo(_checkerboard((600, 800), 100), STILL_16_9)
    left, top, right, bottom = fitted.photo_box
    for index in (0, 1):
        motion = photo_motion(index, "framed", fitted.subject, STILL_16_9, FRAME_16_9)
        assert max(motion.zoom_start, motion.zoom_end) == FRAMED_ZOOM <= 1 / FRAMED_FILL
        for step in range(101):
            window = window_at(motion, step / 100, STILL_16_9, FRAME_16_9)
            scale = window.scaled_width / STILL_16_9[0]
            # The window, in still pixels, holds the whole photo (to a pixel's rounding).
            assert window.x / scale <= left + 1 and (window.x + FRAME_16_9[0]) / scale >= right - 1
            assert window.y / scale <= top + 1 and (window.y + FRAME_16_9[1]) / scale >= bottom - 1
