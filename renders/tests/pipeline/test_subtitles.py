from __future__ import annotations

import unicodedata

import pytest

from renders.pipeline.context import Cue, Narration, SceneNarration
from renders.pipeline.fonts import SUBTITLE_FONT_FAMILY
from renders.pipeline.plan import parse_plan
from renders.pipeline.subtitles import (
    MAX_LINE_UNITS,
    MIN_CUE_SEC,
    burn_layout,
    format_srt,
    format_vtt,
    layout_cue_text,
    parse_srt,
    parse_vtt,
    write_ass,
    write_subtitle_files,
)
from renders.pipeline.text import display_units

LONG_EN = (
    "Prahlad kept chanting the name of Narayana while the flames rose all around him, and the fire "
    "could not touch the child who trusted his Lord."
)
LONG_HI = (
    "प्रह्लाद ने अपने पिता हिरण्यकशिपु के सामने भी भगवान विष्णु की भक्ति नहीं छोड़ी और निडर होकर "
    "नारायण का नाम जपता रहा, चाहे कितनी भी कठिनाइयाँ आईं।"
)


def _plan(scenes, language="en"):
    return parse_plan({"title": "Prahlad", "language": language, "scenes": scenes})


def _narration(*scenes: tuple[float, list[Cue]]) -> Narration:
    return Narration(
        scenes=tuple(
            SceneNarration(
                index=index,
                wav=None,
                speech_sec=(cues[-1].end - cues[0].start) if cues else 0.0,
                duration_sec=duration,
                sentences=tuple(cues),
            )
            for index, (duration, cues) in enumerate(scenes)
        )
    )


def _assert_readable(cues: list[Cue]) -> None:
    for cue in cues:
        lines = cue.text.split("\n")
        assert 1 <= len(lines) <= 2, cue
        for line in lines:
            assert line == line.strip() and line
            # A line may only be wider than the limit when it is a single unbreakable word.
            assert display_units(line) <= MAX_LINE_UNITS or " " not in line, line


def _assert_timeline(cues: list[Cue], total: float) -> None:
    for before, after in zip(cues, cues[1:], strict=False):
        assert before.end <= after.start + 1e-9
    for cue in cues:
        assert 0 <= cue.start < cue.end <= total + 1e-9


def test_it_wraps_long_sentences_into_several_two_line_cues():
    pieces = layout_cue_text(LONG_EN)
    assert len(pieces) == 2
    _assert_readable([Cue(0, 1, piece) for piece in pieces])
    assert " ".join(piece.replace("\n", " ") for piece in pieces) == LONG_EN
    assert layout_cue_text("Om namah Shivaya.") == ["Om namah Shivaya."]


def test_it_wraps_devanagari_between_words_and_counts_clusters():
    pieces = layout_cue_text(LONG_HI)
    words = LONG_HI.split()
    lines = [line for piece in pieces for line in piece.split("\n")]
    # Every line is made of whole words of the input, in order: no word or cluster is ever cut.
    assert [word for line in lines for word in line.split(" ")] == words
    for line in lines:
        assert not unicodedata.category(line[0]).startswith("M")  # no line starts with a detached mark
        assert display_units(line) <= MAX_LINE_UNITS
    _assert_readable([Cue(0, 1, piece) for piece in pieces])
    # Counting code points would need more lines: these 59 code points are only 40 units wide.
    assert len("प्रह्लाद ने अपने पिता हिरण्यकशिपु के सामने भी भगवान विष्णु की") > MAX_LINE_UNITS


def test_it_writes_ordered_cues_that_never_cross_a_scene_boundary(tmp_path):
    plan = _plan(
        [
            {"image_prompt": "fire", "narration": LONG_EN, "duration_sec": 3},
            {"image_prompt": "temple", "narration": "Jai. Om.", "duration_sec": 2},
        ]
    )
    narration = _narration(
        (9.0, [Cue(0.15, 8.3, LONG_EN)]),
        # Two tiny sentences: the first is lengthened to MIN_CUE_SEC only up to where the next starts.
        (2.0, [Cue(0.15, 0.4, "Jai."), Cue(0.65, 0.9, "Om.")]),
    )
    files, per_scene = write_subtitle_files(plan, narration, tmp_path / "subs")
    assert set(files) == {"en"}
    cues = parse_srt(files["en"]["srt"].read_text(encoding="utf-8"))
    assert parse_vtt(files["en"]["vtt"].read_text(encoding="utf-8")) == cues
    _assert_readable(cues)
    _assert_timeline(cues, narration.total_sec)

    first_scene = [cue for cue in cues if cue.start < 9.0]
    assert all(cue.end <= 9.0 for cue in first_scene)
    assert len(first_scene) == 2  # the long sentence split in two, time shared by length
    assert first_scene[0].start == pytest.approx(0.15) and first_scene[-1].end == pytest.approx(8.3)
    jai, om = cues[2:]
    assert (jai.start, jai.end) == pytest.approx((9.15, 9.65))  # stretched up to the next cue
    assert (om.start, om.end) == pytest.approx((9.65, 10.35))  # a full MIN_CUE_SEC inside the scene
    assert om.end - om.start == pytest.approx(MIN_CUE_SEC)

    # The burn-in cues are the same cues, relative to each scene's start.
    assert [len(scene) for scene in per_scene] == [2, 2]
    assert per_scene[1][0] == Cue(pytest.approx(0.15), pytest.approx(0.65), "Jai.")
    assert [cue.text for scene in per_scene for cue in scene] == [cue.text for cue in cues]


def test_it_keeps_cues_inside_a_short_final_scene(tmp_path):
    plan = _plan([{"image_prompt": "x", "narration": "Om.", "duration_sec": 1}])
    narration = _narration((0.5, [Cue(0.15, 0.3, "Om.")]))
    files, per_scene = write_subtitle_files(plan, narration, tmp_path)
    cues = parse_srt(files["en"]["srt"].read_text(encoding="utf-8"))
    assert cues == [Cue(0.15, 0.5, "Om.")]  # no room for MIN_CUE_SEC after: it takes what there is
    _assert_timeline(cues, narration.total_sec)


def test_it_writes_alt_language_files_spread_over_the_narration(tmp_path):
    plan = _plan(
        [
            {
                "image_prompt": "a",
                "narration": "Prahlad prayed. He was brave.",
                "narration_alt": "प्रह्लाद ने प्रार्थना की। वह बहादुर था।",
                "duration_sec": 4,
            },
            {"image_prompt": "b", "narration": "", "narration_alt": "नमस्ते।", "duration_sec": 3},
            {"image_prompt": "c", "narration": "The end.", "duration_sec": 2},
        ]
    )
    narration = _narration(
        (4.0, [Cue(0.15, 1.5, "Prahlad prayed."), Cue(1.75, 3.0, "He was brave.")]),
        (3.0, []),
        (2.0, [Cue(0.15, 1.0, "The end.")]),
    )
    files, per_scene = write_subtitle_files(plan, narration, tmp_path)
    assert set(files) == {"en", "hi"}
    assert all(path.exists() for paths in files.values() for path in paths.values())
    hindi = parse_srt(files["hi"]["srt"].read_text(encoding="utf-8"))
    assert [cue.text for cue in hindi] == ["प्रह्लाद ने प्रार्थना की।", "वह बहादुर था।", "नमस्ते।"]
    _assert_timeline(hindi, narration.total_sec)
    first, second, silent_scene = hindi
    # Spread over the English narration's span (0.15–3.0 s), in proportion to length.
    assert first.start == pytest.approx(0.15) and second.end == pytest.approx(3.0)
    assert first.end == pytest.approx(second.start)
    assert 4.0 <= silent_scene.start < silent_scene.end <= 7.0
    assert parse_vtt(files["hi"]["vtt"].read_text(encoding="utf-8")) == hindi
    # Burn-in cues are the plan's language only; the silent scene has none.
    assert [[cue.text for cue in scene] for scene in per_scene] == [
        ["Prahlad prayed.", "He was brave."],
        [],
        ["The end."],
    ]


def test_it_round_trips_srt_and_vtt():
    cues = [
        Cue(0.15, 2.5, "प्रह्लाद ने विष्णु की\nप्रार्थना की।"),
        Cue(2.75, 3725.125, 'Tom & Jerry <said> "hi"'),
    ]
    srt = format_srt(cues)
    assert srt.startswith("1\n00:00:00,150 --> 00:00:02,500\nप्रह्लाद ने विष्णु की\nप्रार्थना की।\n\n2\n")
    assert "01:02:05,125" in srt
    assert parse_srt(srt) == cues
    vtt = format_vtt(cues)
    assert vtt.startswith("WEBVTT\n\n00:00:00.150 --> 00:00:02.500\n")
    assert "Tom &amp; Jerry &lt;said&gt;" in vtt
    assert parse_vtt(vtt) == cues


def test_it_parses_vtt_written_by_other_tools():
    text = "\ufeffWEBVTT - made elsewhere\r\n\r\nNOTE a comment\r\n\r\nintro\r\n00:01.000 --> 00:02.500 align:start\r\nHello\r\n"
    assert parse_vtt(text) == [Cue(1.0, 2.5, "Hello")]


@pytest.mark.parametrize(
    ("size", "line_units"),
    [((1920, 1080), 42), ((1280, 720), 42), ((1080, 1920), 26), ((1080, 1080), 32), ((256, 144), 42)],
)
def test_it_sizes_burned_subtitles_for_each_aspect(tmp_path, size, line_units):
    width, height = size
    layout = burn_layout(size)
    assert layout.line_units == line_units
    if width > height:
        assert layout.em_px == round(0.055 * height)
    # A full line of the widest script (~0.6 em per unit) fits between the side margins, and the
    # text stays large enough to read on a phone.
    assert line_units * 0.6 * layout.em_px <= width - 2 * layout.side_margin + 1
    assert layout.em_px >= 0.03 * height
    assert layout.bottom_margin >= 0.05 * height
    # libass sizes text by the font's line height; Noto Sans Devanagari's is 1.9 em.
    assert layout.ass_font_size == pytest.approx(layout.em_px * 1.906, abs=1)

    out = write_ass(
        [Cue(0.15, 2.5, "प्रह्लाद ने विष्णु की\nप्रार्थना की।"), Cue(2.5, 3.0, "{\\b1}braces\\N")],
        tmp_path / "scene.ass",
        size,
        SUBTITLE_FONT_FAMILY,
    )
    text = out.read_text(encoding="utf-8")
    assert f"PlayResX: {width}\nPlayResY: {height}" in text
    style = text.split("Style: Default,")[1].split("\n")[0].split(",")
    assert style[:3] == [SUBTITLE_FONT_FAMILY, str(layout.ass_font_size), "&H00FFFFFF"]
    assert style[17] == "2"  # alignment: bottom centre
    dialogue = [line for line in text.splitlines() if line.startswith("Dialogue:")]
    assert dialogue[0] == "Dialogue: 0,0:00:00.15,0:00:02.50,Default,,0,0,0,,प्रह्लाद ने विष्णु की\\Nप्रार्थना की।"
    spoken = dialogue[1].split(",,", 2)[2]
    assert "{" not in spoken and "\\N" not in spoken and "braces" in spoken


def test_it_rewraps_burned_cues_for_a_narrow_frame(tmp_path):
    cue = Cue(0, 2, layout_cue_text(LONG_EN)[0])
    wide = write_ass([cue], tmp_path / "wide.ass", (1920, 1080), SUBTITLE_FONT_FAMILY).read_text(encoding="utf-8")
    tall = write_ass([cue], tmp_path / "tall.ass", (1080, 1920), SUBTITLE_FONT_FAMILY).read_text(encoding="utf-8")
    wide_lines = wide.splitlines()[-1].split(",,", 2)[2].split("\\N")
    tall_lines = tall.splitlines()[-1].split(",,", 2)[2].split("\\N")
    assert wide_lines == cue.text.split("\n")  # kept as laid out for the files
    assert len(tall_lines) > len(wide_lines)
    assert all(display_units(line) <= 26 for line in tall_lines)
    assert " ".join(tall_lines) == " ".join(wide_lines)
