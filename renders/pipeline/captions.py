"""Word-by-word captions: 2–4 words at a time, the word being spoken highlighted. No Django here.

A plan's `captions` setting decides what compose burns in: `lines` (the sentence cues of
`subtitles`), `words` (this module) or `none`. Word captions are a run of cues, one per
*word state*: the cue's text is its group of words with the current word between HIGHLIGHT_ON
and HIGHLIGHT_OFF (private-use characters that `subtitles.write_ass` turns into colour
overrides). The marks only ever sit at word boundaries, so a Devanagari conjunct or vowel sign
is never parted from its letter and libass shapes every word whole.

Timing comes from the voice actually used: the speech step keeps each provider's word cues
(espeak word events, ElevenLabs character alignment). Where a sentence has none, or they do not
match its words one for one, the sentence's measured span is spread over its words by
character count (longer words take longer to say), which is the best estimate available
without the audio itself.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from renders.pipeline import roman
from renders.pipeline.context import Cue, Narration, SceneNarration
from renders.pipeline.plan import Plan
from renders.pipeline.text import display_units

HIGHLIGHT_ON = "\ue000"
HIGHLIGHT_OFF = "\ue001"
# Starts the smaller line beneath a burned cue: the other language (`both`) or Roman Hindi (`roman`).
SECONDARY = "\ue002"

MAX_GROUP_WORDS = 4
MAX_GROUP_UNITS = 16  # one big line on a 9:16 frame (subtitles.burn_layout sizes the font for it)
HOLD_SEC = 0.4  # the last word of a group stays up this long into a pause before the next group
_CLAUSE_END = ",;:—–.!?।॥…"


def _bare(word: str) -> str:
    """The word without edge punctuation, case-folded: what a provider's word cue can be matched on."""
    kept = [char for char in word if unicodedata.category(char)[0] not in "PSZ"]
    return "".join(kept).casefold()


def _display_words(sentence: str) -> list[str]:
    """The sentence's words as shown; a token of punctuation alone ("—") rides with its neighbour."""
    words: list[str] = []
    pending = ""
    for token in sentence.split():
        if not _bare(token):
            if words:
                words[-1] += " " + token
            else:
                pending += token + " "
            continue
        words.append(pending + token)
        pending = ""
    if pending and words:
        words[-1] += " " + pending.strip()
    return words


def _matched(words: Sequence[str], timed: Sequence[Cue]) -> list[Cue] | None:
    """The provider's word cues renamed to the sentence's words, when they are the same words in order.

    A provider's cue for punctuation alone (ElevenLabs times "—" like a word) is left out, as the
    shown words carry such marks with their neighbour.
    """
    timed = [cue for cue in timed if _bare(cue.text)]
    if len(words) != len(timed):
        return None
    if any(_bare(word) != _bare(cue.text) for word, cue in zip(words, timed, strict=True)):
        return None
    return [Cue(cue.start, cue.end, word) for word, cue in zip(words, timed, strict=True)]


def spread_by_characters(words: Sequence[str], start: float, end: float) -> list[Cue]:
    """Word cues sharing [start, end] in proportion to each word's letters (at least one each)."""
    weights = [max(1, display_units(_bare(word))) for word in words]
    total = sum(weights)
    cues, done = [], 0
    for word, weight in zip(words, weights, strict=True):
        begin = start + (end - start) * done / total
        done += weight
        cues.append(Cue(begin, start + (end - start) * done / total, word))
    return cues


def sentence_word_timings(scene: SceneNarration) -> list[list[Cue]]:
    """Per sentence, its spoken words with their times (relative to the scene's start), in order."""
    sentences: list[list[Cue]] = []
    for sentence in scene.sentences:
        words = _display_words(sentence.text)
        if not words:
            continue
        inside = [cue for cue in scene.words if sentence.start - 1e-3 <= cue.start < sentence.end + 1e-3]
        sentences.append(_matched(words, inside) or spread_by_characters(words, sentence.start, sentence.end))
    return sentences


def group_words(words: Sequence[str], max_words: int = MAX_GROUP_WORDS, max_units: int = MAX_GROUP_UNITS) -> list[int]:
    """Sizes of consecutive groups: at most max_words and max_units wide, ending at a clause mark.

    A lone word left at the end is joined to the group before it when that still fits, so a
    sentence does not end on one orphaned word.
    """
    sizes: list[int] = []
    current: list[str] = []
    for word in words:
        wider = display_units(" ".join([*current, word])) > max_units
        if current and (len(current) >= max_words or wider or current[-1][-1] in _CLAUSE_END):
            sizes.append(len(current))
            current = []
        current.append(word)
    if current:
        sizes.append(len(current))
    if len(sizes) >= 2 and sizes[-1] == 1 and sizes[-2] >= 3:
        sizes[-2] -= 1
        sizes[-1] += 1
    return sizes


def _mark(words: Sequence[str], current: int) -> str:
    return " ".join(
        f"{HIGHLIGHT_ON}{word}{HIGHLIGHT_OFF}" if index == current else word for index, word in enumerate(words)
    )


def word_caption_cues(scene: SceneNarration) -> list[Cue]:
    """The scene's word-state cues (relative to its start), in order and never overlapping.

    Within a sentence, a word stays highlighted from its own start until the next word starts;
    a group's last word stays until the next group starts, or HOLD_SEC after it ends when a
    longer pause follows (then the screen is empty until the next word is spoken).
    """
    cues: list[Cue] = []
    groups: list[list[Cue]] = []
    for timings in sentence_word_timings(scene):
        at = 0
        for size in group_words([cue.text for cue in timings]):
            groups.append(timings[at : at + size])
            at += size
    for number, group in enumerate(groups):
        following = groups[number + 1][0].start if number + 1 < len(groups) else scene.duration_sec
        texts = [cue.text for cue in group]
        for index, word in enumerate(group):
            if index + 1 < len(group):
                end = group[index + 1].start
            else:
                end = min(following, max(word.end + HOLD_SEC, word.end))
            start, end = max(0.0, word.start), min(end, scene.duration_sec)
            if cues:
                start = max(start, cues[-1].end)
            if end > start:
                cues.append(Cue(round(start, 3), round(end, 3), _mark(texts, index)))
    return cues


def burn_cues(
    plan: Plan,
    narration: Narration,
    line_cues: Sequence[Sequence[Cue]],
    alt_cues: Sequence[Sequence[Cue]] = (),
) -> list[list[Cue]]:
    """Per scene, what compose burns in (relative to each scene) for the plan's `captions` and
    `subtitles_on_screen` settings. `alt_cues` holds each scene's narration_alt cues, for `both`."""
    if plan.captions == "none":
        return [[] for _ in narration.scenes]
    if plan.captions == "words":
        burned = [word_caption_cues(scene) for scene in narration.scenes]
    else:
        burned = [list(cues) for cues in line_cues]
    if plan.subtitles_on_screen == "roman" and plan.language == "hi":
        sentence_case = plan.captions == "lines"  # word groups are pieces of sentences: no capitals
        return [
            [with_secondary(cue, roman.romanize(cue.text, capitalize=sentence_case)) for cue in cues] for cues in burned
        ]
    if plan.subtitles_on_screen == "both" and alt_cues:
        return [
            [with_secondary(cue, _overlapping_text(cue, alts)) for cue in cues]
            for cues, alts in zip(burned, alt_cues, strict=True)
        ]
    return burned


def with_secondary(cue: Cue, secondary: str) -> Cue:
    """The cue with a smaller line beneath it (on one line; libass wraps it if it must)."""
    line = " ".join(secondary.split())
    return Cue(cue.start, cue.end, f"{cue.text}{SECONDARY}{line}") if line else cue


def _overlapping_text(cue: Cue, others: Sequence[Cue]) -> str:
    """The text of the other-language cue sharing the most time with `cue` (its middle breaks ties)."""
    best, best_overlap = "", 0.0
    middle = (cue.start + cue.end) / 2
    for other in others:
        overlap = min(cue.end, other.end) - max(cue.start, other.start)
        if other.start <= middle < other.end:
            overlap += 1e-6
        if overlap > best_overlap:
            best, best_overlap = other.text, overlap
    return best


def highlighted_word(text: str) -> str | None:
    """The highlighted word of a word-state cue's main line, or None."""
    text = text.split(SECONDARY, 1)[0]
    if HIGHLIGHT_ON not in text:
        return None
    return text.split(HIGHLIGHT_ON, 1)[1].split(HIGHLIGHT_OFF, 1)[0]
