"""Subtitles: cues from measured narration, SRT/VTT files, and the ASS file compose burns in. No Django here.

Cue rules (what a viewer can read): at most MAX_LINES lines of at most MAX_LINE_UNITS units
each, wrapped only between words; a longer sentence becomes several consecutive cues sharing
its time in proportion to their length. Cues never cross a scene boundary, never overlap, stay
on screen at least MIN_CUE_SEC where the gap to the next cue allows, and lie inside the video.

Width is counted in grapheme-ish units (`text.display_units`): a Devanagari conjunct with its
vowel signs is one unit, and a line break only ever falls on a space, so a combining mark is
never parted from its base letter.
"""

from __future__ import annotations

import html
import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from renders.pipeline import captions, roman
from renders.pipeline.context import Cue, Narration
from renders.pipeline.fonts import SUBTITLE_FONT_FAMILY, devanagari_font
from renders.pipeline.plan import Plan
from renders.pipeline.spoken_length import LEAD_IN_SEC
from renders.pipeline.text import clean_narration, display_units, split_sentences

MAX_LINE_UNITS = 42
MAX_LINES = 2
MIN_CUE_SEC = 0.7

# ---- wrapping ---------------------------------------------------------------------------------


def _units(words: Sequence[str]) -> int:
    return display_units(" ".join(words))


def wrap_lines(text: str, max_units: int = MAX_LINE_UNITS) -> list[str]:
    """Greedy word wrap; a single word wider than a line gets a line of its own, unbroken."""
    lines: list[list[str]] = []
    for word in text.split():
        if lines and _units([*lines[-1], word]) <= max_units:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [" ".join(line) for line in lines]


def _layout(words: Sequence[str], max_units: int, max_lines: int) -> list[str] | None:
    """The chunk's lines, breaks placed so the longest line is as short as possible; None if it cannot fit."""
    if _units(words) <= max_units:
        return [" ".join(words)]
    if max_lines < 2:
        return None
    greedy = wrap_lines(" ".join(words), max_units)
    if len(greedy) > max_lines:
        return None
    if max_lines == 2 and len(greedy) == 2:
        candidates = [
            (max(_units(words[:cut]), _units(words[cut:])), cut)
            for cut in range(1, len(words))
            if _units(words[:cut]) <= max_units and _units(words[cut:]) <= max_units
        ]
        if candidates:
            _, cut = min(candidates)
            return [" ".join(words[:cut]), " ".join(words[cut:])]
    return greedy


def layout_cue_text(text: str, max_units: int = MAX_LINE_UNITS, max_lines: int = MAX_LINES) -> list[str]:
    """Cue texts (lines joined by "\\n") for one sentence: as few cues as fit, evenly filled."""
    words = text.split()
    if not words:
        return []
    count = len(words)
    # reach[i]: words[i:j] fits in one cue for every j up to reach[i] (fitting is monotone, and
    # greedy wrapping gives the fewest lines, so it decides whether a chunk fits).
    reach = []
    for i in range(count):
        j = i + 1
        while j < count and len(wrap_lines(" ".join(words[i : j + 1]), max_units)) <= max_lines:
            j += 1
        reach.append(j)
    # Fewest chunks first, then the smallest largest chunk: a dynamic programme over word
    # boundaries (sentences are at most ~200 characters, so this is tiny).
    best: list[tuple[int, int] | None] = [None] * (count + 1)
    best[0] = (0, 0)
    back = [0] * (count + 1)
    for i in range(count):
        reached = best[i]
        if reached is None:
            continue
        for j in range(i + 1, reach[i] + 1):
            score = (reached[0] + 1, max(reached[1], _units(words[i:j])))
            current = best[j]
            if current is None or score < current:
                best[j], back[j] = score, i
    cuts, j = [], count
    while j > 0:
        cuts.append((back[j], j))
        j = back[j]
    return [
        "\n".join(_layout(words[i:j], max_units, max_lines) or wrap_lines(" ".join(words[i:j]), max_units))
        for i, j in reversed(cuts)
    ]


def _spread(text_pieces: Sequence[str], start: float, end: float) -> list[Cue]:
    """Consecutive cues for pieces sharing [start, end] in proportion to their width."""
    weights = [max(1, display_units(piece.replace("\n", " "))) for piece in text_pieces]
    total = sum(weights)
    cues, done = [], 0
    for piece, weight in zip(text_pieces, weights, strict=True):
        cue_start = start + (end - start) * done / total
        done += weight
        cues.append(Cue(cue_start, start + (end - start) * done / total, piece))
    return cues


def _settle(cues: Sequence[Cue], limit: float) -> list[Cue]:
    """Order cues, remove overlaps, keep them in [0, limit] and give short ones MIN_CUE_SEC if room allows.

    A short cue only ever grows at its end (into the pause before the next one): showing words
    before they are spoken reads as a mistake.
    """
    ordered = sorted(cues, key=lambda cue: cue.start)
    settled: list[Cue] = []
    for index, cue in enumerate(ordered):
        previous_end = settled[-1].end if settled else 0.0
        next_start = ordered[index + 1].start if index + 1 < len(ordered) else limit
        start = min(max(cue.start, previous_end, 0.0), limit)
        end = min(max(cue.end, start), limit)
        if end - start < MIN_CUE_SEC:
            end = min(max(start + MIN_CUE_SEC, end), max(next_start, end), limit)
        if end > start:
            settled.append(Cue(start, end, cue.text))
    return settled


def _sentence_cues(sentences: Sequence[Cue], limit: float) -> list[Cue]:
    pieces = [
        cue for sentence in sentences for cue in _spread(layout_cue_text(sentence.text), sentence.start, sentence.end)
    ]
    return _settle(pieces, limit)


# ---- files ------------------------------------------------------------------------------------


def _alt_scene_cues(text: str, language: str, span: tuple[float, float], limit: float) -> list[Cue]:
    """Alt-language text has no audio: spread its sentences over the narration's span by length."""
    sentences = split_sentences(clean_narration(text), language)
    if not sentences:
        return []
    timed = _spread(sentences, *span)
    return _sentence_cues(timed, limit)


def alt_scene_cues(plan: Plan, narration: Narration) -> list[list[Cue]]:
    """Per scene, its narration_alt cues relative to the scene's start ([] where it has none)."""
    per_scene: list[list[Cue]] = []
    for scene, spoken in zip(plan.scenes, narration.scenes, strict=True):
        duration = spoken.duration_sec
        if not scene.narration_alt.strip():
            per_scene.append([])
            continue
        if spoken.sentences:
            span = (spoken.sentences[0].start, spoken.sentences[-1].end)
        else:
            span = (min(LEAD_IN_SEC, duration), max(min(LEAD_IN_SEC, duration), duration - LEAD_IN_SEC))
        per_scene.append(_alt_scene_cues(scene.narration_alt, plan.alt_language, span, duration))
    return per_scene


def write_subtitle_files(
    plan: Plan, narration: Narration, out_dir: Path
) -> tuple[dict[str, dict[str, Path]], list[list[Cue]]]:
    """Write `{lang}.srt` and `{lang}.vtt` for the plan's language (and the alt language if any scene has it).

    A Hindi plan also gets `hi-Latn.srt`/`.vtt`: its cues in Roman letters (`roman.romanize`).

    Returns the files by language, and the plan-language cues of each scene relative to that
    scene's start (for burning in), indexed like the scenes.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    starts = narration.scene_starts()
    per_scene: list[list[Cue]] = []
    timeline: list[Cue] = []
    alt_timeline: list[Cue] = []
    has_alt = any(scene.narration_alt.strip() for scene in plan.scenes)
    for spoken, offset, alt_cues in zip(narration.scenes, starts, alt_scene_cues(plan, narration), strict=True):
        duration = spoken.duration_sec
        cues = _sentence_cues(spoken.sentences, duration)
        per_scene.append(cues)
        timeline.extend(_shift(cues, offset, duration))
        alt_timeline.extend(_shift(alt_cues, offset, duration))

    files = {plan.language: _write_pair(timeline, out_dir, plan.language)}
    if plan.language == "hi":
        # For viewers who speak Hindi but do not read Devanagari: the same cues in Roman letters.
        roman_cues = [Cue(cue.start, cue.end, roman.romanize(cue.text)) for cue in timeline]
        files[roman.LANGUAGE_CODE] = _write_pair(roman_cues, out_dir, roman.LANGUAGE_CODE)
    if has_alt:
        files[plan.alt_language] = _write_pair(alt_timeline, out_dir, plan.alt_language)
    return files, per_scene


def _shift(cues: Sequence[Cue], offset: float, duration: float) -> list[Cue]:
    return [Cue(offset + cue.start, min(offset + cue.end, offset + duration), cue.text) for cue in cues]


def _write_pair(cues: Sequence[Cue], out_dir: Path, language: str) -> dict[str, Path]:
    srt, vtt = out_dir / f"{language}.srt", out_dir / f"{language}.vtt"
    srt.write_text(format_srt(cues), encoding="utf-8")
    vtt.write_text(format_vtt(cues), encoding="utf-8")
    return {"srt": srt, "vtt": vtt}


# ---- formats ----------------------------------------------------------------------------------


def _milliseconds(seconds: float) -> int:
    # Floor (with float-noise tolerance) keeps order and never pushes an end past the video's end.
    return max(0, math.floor(seconds * 1000 + 1e-6))


def _timestamp(seconds: float, separator: str) -> str:
    ms = _milliseconds(seconds)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _text_lines(text: str) -> list[str]:
    # A blank line would end the cue early in every reader; "-->" would look like a timing line.
    return [line.strip().replace("-->", "->") for line in text.split("\n") if line.strip()]


def format_srt(cues: Sequence[Cue]) -> str:
    blocks = []
    for number, cue in enumerate(cues, start=1):
        lines = "\n".join(_text_lines(cue.text))
        blocks.append(f"{number}\n{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}\n{lines}\n")
    return "\n".join(blocks)


def format_vtt(cues: Sequence[Cue]) -> str:
    blocks = ["WEBVTT\n"]
    for cue in cues:
        lines = "\n".join(html.escape(line, quote=False) for line in _text_lines(cue.text))
        blocks.append(f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n{lines}\n")
    return "\n".join(blocks)


_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})")
_TIMING = re.compile(rf"^\s*({_TIME.pattern})\s*-->\s*({_TIME.pattern})")


def _seconds(match: re.Match[str], first_group: int) -> float:
    hours, minutes, secs, fraction = (match.group(first_group + k) for k in range(4))
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(fraction.ljust(3, "0")) / 1000


def _parse_blocks(text: str, unescape: bool) -> list[Cue]:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    cues = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = block.strip("\n").split("\n")
        for index, line in enumerate(lines):
            timing = _TIMING.match(line)
            if timing:
                body = [html.unescape(part) if unescape else part for part in lines[index + 1 :]]
                cues.append(Cue(_seconds(timing, 2), _seconds(timing, 7), "\n".join(body)))
                break
    return cues


def parse_srt(text: str) -> list[Cue]:
    """Cues of an SRT file (text lines joined by "\\n")."""
    return _parse_blocks(text, unescape=False)


def parse_vtt(text: str) -> list[Cue]:
    """Cues of a WebVTT file; header, NOTE and STYLE blocks are skipped, cue settings ignored."""
    return _parse_blocks(text, unescape=True)


# ---- burning ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BurnLayout:
    em_px: int  # the text's em in frame pixels (what a viewer sees as the font size)
    ass_font_size: int  # the ASS Fontsize giving that em (libass sizes by the font's line height)
    line_units: int  # widest line, in display units
    side_margin: int
    bottom_margin: int


# Widest average advance per display unit among our scripts in Noto Sans (measured with raqm:
# Devanagari clusters 0.61 em, English capitals 0.58, English lower case 0.49).
_EM_PER_UNIT = 0.6


@cache
def _libass_size_scale(font_family: str) -> float:
    """ASS Fontsize per em for a font: libass scales so usWinAscent + usWinDescent fills the size.

    Noto Sans Devanagari reserves 1.9 em of height for stacked marks, so without this a "59"
    subtitle would draw at a 31 px em. Fonts other than the bundled one are taken as 1:1.
    """
    if font_family != SUBTITLE_FONT_FAMILY:
        return 1.0
    try:
        data = devanagari_font().read_bytes()
        tables = {}
        for index in range(struct.unpack(">H", data[4:6])[0]):
            tag, _checksum, offset, _length = struct.unpack(">4sIII", data[12 + 16 * index : 28 + 16 * index])
            tables[tag] = offset
        units_per_em = struct.unpack(">H", data[tables[b"head"] + 18 : tables[b"head"] + 20])[0]
        ascent, descent = struct.unpack(">HH", data[tables[b"OS/2"] + 74 : tables[b"OS/2"] + 78])
    except (OSError, KeyError, struct.error):
        return 1.0
    return (ascent + descent) / units_per_em if units_per_em else 1.0


def burn_layout(size: tuple[int, int], font_family: str = SUBTITLE_FONT_FAMILY) -> BurnLayout:
    """Subtitle size and margins for a frame size.

    16:9 draws a 5.5%-of-height em with the shared 42-unit lines. Narrower frames re-wrap to
    shorter lines so the text stays large on a phone, sized so a full line fits between the side
    margins. 9:16 keeps its subtitles above the bottom where Shorts overlays its own buttons.
    """
    width, height = size
    aspect = width / height
    if aspect >= 1.2:
        line_units, bottom = MAX_LINE_UNITS, 0.07
    elif aspect >= 0.8:
        line_units, bottom = 32, 0.08
    else:
        line_units, bottom = 26, 0.16
    side = round(width * 0.05)
    em = max(8, min(round(height * 0.055), math.floor((width - 2 * side) / (line_units * _EM_PER_UNIT))))
    return BurnLayout(
        em_px=em,
        ass_font_size=round(em * _libass_size_scale(font_family)),
        line_units=line_units,
        side_margin=side,
        bottom_margin=round(height * bottom),
    )


def _ass_time(seconds: float) -> str:
    centis = max(0, math.floor(seconds * 100 + 1e-6))
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6000)
    secs, hundredths = divmod(rest, 100)
    return f"{hours}:{minutes:02d}:{secs:02d}.{hundredths:02d}"


def balanced_lines(text: str, max_units: int) -> list[str]:
    """As few lines as greedy wrapping needs, but with the words spread evenly over them."""
    flowing = " ".join(text.split())
    greedy = wrap_lines(flowing, max_units)
    for width in range(math.ceil(display_units(flowing) / max(1, len(greedy))), max_units):
        even = wrap_lines(flowing, width)
        if len(even) <= len(greedy):
            return even
    return greedy


def _ass_text(text: str, line_units: int) -> str:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if any(display_units(line) > line_units for line in lines):
        lines = balanced_lines(text, line_units)  # a narrower frame than the cue was laid out for
    # Braces open override blocks and "\n", "\N", "\h" are escapes in ASS: neutralise them.
    safe = [line.replace("{", "(").replace("}", ")").replace("\\", "\\\u200b") for line in lines]
    return "\\N".join(safe)


# Word captions: white words, the spoken one in marigold (ASS colours are &HAABBGGRR).
WORD_HIGHLIGHT_RGB = (0xFF, 0xC2, 0x1A)
_HIGHLIGHT_TAG = "{\\1c&H" + "".join(f"{channel:02X}" for channel in reversed(WORD_HIGHLIGHT_RGB)) + "&}"
_WHITE_TAG = "{\\1c&HFFFFFF&}"  # back to the style's white (not {\\r}, which would also reset the size)
WORD_UNITS = 16  # captions.MAX_GROUP_UNITS: a group's widest line


def _secondary_tag(layout: BurnLayout) -> str:
    """Override for the smaller line beneath (the other language, or Roman letters): 62% size, not bold."""
    size = max(6, round(layout.ass_font_size * 0.62))
    return f"{{\\fs{size}\\b0}}"


def _ass_event_text(text: str, layout: BurnLayout, words: bool) -> str:
    primary, _, secondary = text.partition(captions.SECONDARY)
    shown = _ass_word_text(primary) if words else _ass_text(primary, layout.line_units)
    if secondary.strip():
        shown += "\\N" + _secondary_tag(layout) + _ass_word_text(secondary)
    return shown


def _ass_word_text(text: str) -> str:
    """A word-state cue as ASS: escaped like any cue, then its highlight marks become colour overrides.

    The marks sit at word boundaries, so the overrides never split a conjunct or a vowel sign
    from its letter (libass shapes each word in one run).
    """
    safe = " ".join(text.split()).replace("{", "(").replace("}", ")").replace("\\", "\\\u200b")
    return safe.replace(captions.HIGHLIGHT_ON, _HIGHLIGHT_TAG).replace(captions.HIGHLIGHT_OFF, _WHITE_TAG)


def word_layout(size: tuple[int, int], font_family: str = SUBTITLE_FONT_FAMILY) -> BurnLayout:
    """Word captions: a big em (a WORD_UNITS line fills the width between margins, at most 8% of the
    height), centred horizontally and sitting a little below the middle, clear of Shorts' buttons."""
    width, height = size
    side = round(width * 0.06)
    em = max(8, min(round(height * 0.08), math.floor((width - 2 * side) / (WORD_UNITS * _EM_PER_UNIT))))
    return BurnLayout(
        em_px=em,
        ass_font_size=round(em * _libass_size_scale(font_family)),
        line_units=WORD_UNITS,
        side_margin=side,
        bottom_margin=round(height * 0.3),
    )


def write_ass(
    cues: Sequence[Cue], out: Path, size: tuple[int, int], font_family: str, captions_style: str = "lines"
) -> Path:
    """An ASS script for libass: white text, dark outline and soft shadow, bottom centre.

    `captions_style="words"` takes word-state cues (`captions.word_caption_cues`): bold, larger,
    higher up, with a thicker outline, and the marked word in WORD_HIGHLIGHT_RGB.
    """
    width, height = size
    words = captions_style == "words"
    layout = word_layout(size, font_family) if words else burn_layout(size, font_family)
    outline = max(1.0, round(layout.em_px * (0.09 if words else 0.06), 1))
    shadow = max(1.0, round(layout.em_px * 0.03, 1))
    bold = -1 if words else 0
    header = "\n".join(
        [
            "[Script Info]",
            "ScriptType: v4.00+",
            f"PlayResX: {width}",
            f"PlayResY: {height}",
            "WrapStyle: 0",
            "ScaledBorderAndShadow: yes",
            "YCbCr Matrix: TV.709",
            "",
            "[V4+ Styles]",
            "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
            "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
            "Alignment, MarginL, MarginR, MarginV, Encoding",
            f"Style: Default,{font_family.replace(',', ' ')},{layout.ass_font_size},&H00FFFFFF,&H00FFFFFF,"
            f"&H00101010,&H96000000,{bold},0,0,0,100,100,0,0,1,{outline:g},{shadow:g},2,"
            f"{layout.side_margin},{layout.side_margin},{layout.bottom_margin},1",
            "",
            "[Events]",
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        ]
    )
    events = [
        f"Dialogue: 0,{_ass_time(cue.start)},{_ass_time(cue.end)},Default,,0,0,0,,"
        + _ass_event_text(cue.text, layout, words)
        for cue in cues
        if cue.text.strip() and cue.end > cue.start
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + "\n" + "\n".join(events) + "\n", encoding="utf-8")
    return out
