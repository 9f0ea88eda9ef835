"""Word-by-word captions: the plan setting, the word timing, the ASS events, and a real frame."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from conftest import tiny_plan_data
from renders.pipeline import captions, roman
from renders.pipeline.compose import build_timeline, global_cues
from renders.pipeline.context import Callbacks, Cue, RenderSettings, SceneNarration
from renders.pipeline.fonts import SUBTITLE_FONT_FAMILY
from renders.pipeline.plan import PlanError, parse_plan
from renders.pipeline.providers.local import local_providers
from renders.pipeline.runner import run_pipeline
from renders.pipeline.speech import narrate_plan
from renders.pipeline.subtitles import WORD_HIGHLIGHT_RGB, alt_scene_cues, write_ass, write_subtitle_files

ENGLISH = [
    {"image_prompt": "a child praying", "narration": "Prahlad prayed to Vishnu, day and night.", "duration_sec": 2},
    {"image_prompt": "a pillar", "narration": "Then Narasimha burst from the pillar!", "duration_sec": 2},
]
HINDI = [
    {"image_prompt": "a child praying", "narration": "प्रह्लाद ने श्रद्धा से विष्णु की प्रार्थना की।", "duration_sec": 2},
    {"image_prompt": "a pillar", "narration": "भगवान नरसिंह खंभे से प्रकट हुए, और ध्रुव तारा चमका।", "duration_sec": 2},
]
FPS = 30
_DIALOGUE = re.compile(r"^Dialogue: \d+,(\d+):(\d\d):(\d\d)\.(\d\d),(\d+):(\d\d):(\d\d)\.(\d\d),Default,,0,0,0,,(.*)$")


def _seconds(h: str, m: str, s: str, cs: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(cs) / 100


def _ass_events(path: Path) -> list[Cue]:
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _DIALOGUE.match(line)
        if match:
            groups = match.groups()
            events.append(Cue(_seconds(*groups[:4]), _seconds(*groups[4:8]), groups[8]))
    return events


def _highlighted_at(events: list[Cue], seconds: float) -> str | None:
    """The highlighted word of the ASS event showing at `seconds` (the colour override's run), or None."""
    showing = [event for event in events if event.start <= seconds < event.end]
    assert len(showing) <= 1, f"overlapping caption events at {seconds}"
    if not showing:
        return None
    match = re.search(r"\{\\1c&H1AC2FF&\}(.*?)\{\\1c&HFFFFFF&\}", showing[0].text.split("\\N")[0])
    return match.group(1) if match else None


# ---- the plan setting -------------------------------------------------------------------------


def test_captions_default_to_words_for_vertical_and_square_and_lines_for_wide():
    assert parse_plan(tiny_plan_data(aspect="9:16")).captions == "words"
    assert parse_plan(tiny_plan_data(aspect="1:1")).captions == "words"
    assert parse_plan(tiny_plan_data(aspect="16:9")).captions == "lines"
    assert parse_plan(tiny_plan_data(aspect="9:16", captions="none")).captions == "none"
    plan = parse_plan(tiny_plan_data(aspect="16:9", captions="words", subtitles_on_screen="both"))
    assert parse_plan(plan.to_dict()) == plan


def test_captions_and_on_screen_choices_are_validated():
    with pytest.raises(PlanError) as error:
        parse_plan(tiny_plan_data(captions="karaoke", subtitles_on_screen="all"))
    assert set(error.value.errors) == {"captions", "subtitles_on_screen"}
    with pytest.raises(PlanError) as error:
        parse_plan(tiny_plan_data(language="en", subtitles_on_screen="roman"))
    assert "needs language hi" in error.value.errors["subtitles_on_screen"]


# ---- grouping and timing ----------------------------------------------------------------------


def test_groups_hold_two_to_four_whole_words_and_end_at_clause_marks():
    words = "भगवान नरसिंह खंभे से प्रकट हुए, और ध्रुव तारा चमका।".split()
    sizes = captions.group_words(words)
    assert sum(sizes) == len(words) and all(1 <= size <= 4 for size in sizes)
    assert sizes[:2] == [4, 2]  # "… प्रकट हुए," ends a clause
    assert captions.group_words(["one", "two", "three", "four", "five"]) == [3, 2]  # no orphan


def test_without_provider_timings_words_share_the_sentence_by_length():
    scene = SceneNarration(0, None, 3.0, 3.0, (Cue(0.5, 2.5, "Om namah Shivaya."),))
    timings = captions.sentence_word_timings(scene)
    assert [cue.text for cue in timings[0]] == ["Om", "namah", "Shivaya."]
    assert timings[0][0].start == 0.5 and timings[0][-1].end == pytest.approx(2.5)
    lengths = [cue.end - cue.start for cue in timings[0]]
    assert lengths[0] < lengths[1] < lengths[2]  # 2, 5 and 7 letters


def test_provider_words_with_punctuation_keep_their_own_timings():
    # ElevenLabs' words keep their punctuation and time a lone dash like a word.
    words = (Cue(0.5, 0.8, "Om"), Cue(0.9, 1.0, "—"), Cue(1.1, 1.5, "namah,"), Cue(1.6, 2.2, "Shivaya."))
    scene = SceneNarration(0, None, 1.7, 3.0, (Cue(0.5, 2.2, "Om — namah, Shivaya."),), words)
    timings = captions.sentence_word_timings(scene)[0]
    assert [(cue.start, cue.end, cue.text) for cue in timings] == [
        (0.5, 0.8, "Om —"), (1.1, 1.5, "namah,"), (1.6, 2.2, "Shivaya."),
    ]  # fmt: skip


def test_word_states_never_overlap_and_hold_a_group_briefly():
    words = (Cue(0.5, 0.8, "Om"), Cue(0.9, 1.3, "namah"), Cue(1.4, 2.0, "Shivaya"))
    scene = SceneNarration(0, None, 1.5, 4.0, (Cue(0.5, 2.0, "Om namah Shivaya."),), words)
    cues = captions.word_caption_cues(scene)
    assert [captions.highlighted_word(cue.text) for cue in cues] == ["Om", "namah", "Shivaya."]
    assert [(cue.start, cue.end) for cue in cues] == [(0.5, 0.9), (0.9, 1.4), (1.4, 2.0 + captions.HOLD_SEC)]


# ---- the ASS events against the voice's own word timings --------------------------------------


@pytest.mark.parametrize(("language", "scenes"), [("en", ENGLISH), ("hi", HINDI)])
def test_the_highlighted_word_is_the_word_being_spoken(tmp_path, language, scenes):
    plan = parse_plan(tiny_plan_data(language=language, scenes=scenes, aspect="9:16"))
    settings = RenderSettings(work_dir=tmp_path / "work", cache_dir=tmp_path / "cache")
    narration = narrate_plan(plan, settings, Callbacks(), local_providers())
    timeline = build_timeline([scene.duration_sec for scene in narration.scenes], FPS)
    burned = global_cues(captions.burn_cues(plan, narration, [[] for _ in narration.scenes]), timeline)
    events = _ass_events(write_ass(burned, tmp_path / "words.ass", (1080, 1920), SUBTITLE_FONT_FAMILY, "words"))

    checked = 0
    for index, scene in enumerate(narration.scenes):
        offset = timeline.starts[index] / FPS
        sentence_words = [word for sentence in scene.sentences for word in sentence.text.split()]
        assert len(scene.words) >= len(sentence_words) - 1  # espeak gave (nearly) every word a timing
        for word in scene.words:
            for moment in (word.start + 1 / FPS, (word.start + word.end) / 2):
                if not word.start < moment < word.end:
                    continue
                at = offset + moment
                # ±1 frame: the word spoken at that moment is highlighted within a frame of it.
                seen = {_highlighted_at(events, at + shift / FPS) for shift in (-1, 0, 1)}
                assert any(shown and captions._bare(shown) == captions._bare(word.text) for shown in seen), (
                    f"{language} at {at:.3f}s: spoken {word.text!r}, highlighted {seen}"
                )
                checked += 1
    assert checked >= 2 * sum(len(scene.words) for scene in narration.scenes) - 2


def test_every_caption_shows_whole_words_of_the_narration(tmp_path):
    plan = parse_plan(tiny_plan_data(language="hi", scenes=HINDI, aspect="9:16"))
    settings = RenderSettings(work_dir=tmp_path / "work", cache_dir=tmp_path / "cache")
    narration = narrate_plan(plan, settings, Callbacks(), local_providers())
    for scene, cues in zip(narration.scenes, captions.burn_cues(plan, narration, []), strict=True):
        spoken = [word for sentence in scene.sentences for word in sentence.text.split()]
        for cue in cues:
            shown = cue.text.replace(captions.HIGHLIGHT_ON, "").replace(captions.HIGHLIGHT_OFF, "").split()
            assert 1 <= len(shown) <= 4 and all(word in spoken for word in shown)
            # The marks sit between whole words: never before a vowel sign, virama or nukta.
            marked = captions.highlighted_word(cue.text)
            assert marked in spoken


# ---- a real frame -----------------------------------------------------------------------------


def _frame(video: Path, seconds: float, out: Path) -> np.ndarray:
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-ss", f"{seconds:.3f}", "-i", str(video),
         "-frames:v", "1", "-y", str(out)],
        check=True, timeout=60,
    )  # fmt: skip
    with Image.open(out) as frame:
        return np.asarray(frame.convert("RGB")).astype(int)


def _highlight_pixels(rgb: np.ndarray) -> int:
    target = np.array(WORD_HIGHLIGHT_RGB)
    return int((np.abs(rgb - target).max(axis=2) < 40).sum())


@pytest.mark.parametrize(("language", "scenes"), [("en", ENGLISH[:1]), ("hi", HINDI[:1])])
def test_a_vertical_proxy_draws_word_captions(tmp_path, language, scenes):
    # Watercolor: no gilded frame rules, whose gold would count as the highlight's colour.
    plan = parse_plan(tiny_plan_data(language=language, scenes=scenes, aspect="9:16", music="none", style="watercolor"))
    assert plan.captions == "words"
    settings = RenderSettings(work_dir=tmp_path / "work", cache_dir=tmp_path / "cache", proxy_short_side=360)
    result = run_pipeline(plan, settings)
    narration = narrate_plan(plan, settings, Callbacks(), local_providers())  # reused from the speech cache
    word = narration.scenes[0].words[1]
    rgb = _frame(result.video, (word.start + word.end) / 2, tmp_path / f"words-{language}.png")
    height = rgb.shape[0]
    band, rest = rgb[round(height * 0.45) : round(height * 0.75)], rgb[: round(height * 0.4)]
    # The highlighted word is drawn in its colour inside the caption band (and the still has none of it).
    assert _highlight_pixels(band) > 30
    assert _highlight_pixels(rest) < _highlight_pixels(band) / 10
    # White caption text is there too.
    assert int((band.min(axis=2) > 235).sum()) > 100


# ---- two lines on screen ----------------------------------------------------------------------


def test_roman_on_screen_highlights_the_same_word_in_roman_letters(tmp_path):
    plan = parse_plan(tiny_plan_data(language="hi", scenes=HINDI, aspect="9:16", subtitles_on_screen="roman"))
    settings = RenderSettings(work_dir=tmp_path / "work", cache_dir=tmp_path / "cache")
    narration = narrate_plan(plan, settings, Callbacks(), local_providers())
    cues = [cue for scene in captions.burn_cues(plan, narration, []) for cue in scene]
    assert cues
    for cue in cues:
        main, secondary = cue.text.split(captions.SECONDARY)
        shown = captions.highlighted_word(main)
        assert shown is not None
        assert captions.highlighted_word(secondary) == roman.romanize(shown, capitalize=False)
    ass = write_ass(cues, tmp_path / "roman.ass", (1080, 1920), SUBTITLE_FONT_FAMILY, "words").read_text()
    assert "\\N{\\fs" in ass and "{\\1c&H1AC2FF&}prahlad{\\1c&HFFFFFF&}" in ass


def test_both_languages_put_the_overlapping_alt_line_beneath(tmp_path):
    scenes = [{**ENGLISH[0], "narration_alt": "प्रह्लाद ने दिन-रात विष्णु की प्रार्थना की।"}, ENGLISH[1]]
    plan = parse_plan(tiny_plan_data(scenes=scenes, subtitles_on_screen="both"))
    assert plan.captions == "lines"
    settings = RenderSettings(work_dir=tmp_path / "work", cache_dir=tmp_path / "cache")
    narration = narrate_plan(plan, settings, Callbacks(), local_providers())
    _files, lines = write_subtitle_files(plan, narration, tmp_path / "subs")
    burned = captions.burn_cues(plan, narration, lines, alt_scene_cues(plan, narration))
    assert burned[0] and all(
        cue.text.endswith(captions.SECONDARY + "प्रह्लाद ने दिन-रात विष्णु की प्रार्थना की।") for cue in burned[0]
    )
    assert burned[1] and all(captions.SECONDARY not in cue.text for cue in burned[1])  # no alt text there
    ass = write_ass(burned[0], tmp_path / "both.ass", (1920, 1080), SUBTITLE_FONT_FAMILY).read_text()
    assert "Prahlad prayed to Vishnu, day and night.\\N{\\fs" in ass
