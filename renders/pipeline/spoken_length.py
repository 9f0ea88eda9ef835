"""How long a scene's narration takes to speak, estimated from its text alone. No Django here.

A scene lasts as long as asked or as long as its narration needs (`speech.scene_duration`), so
the plan's duration limits mean nothing unless the narration is counted too: 1,200 characters
of English under a 1 s scene speak for 73 s. `parse_plan` refuses, per scene and in total, what
this estimate says is over the limits; the speech step then checks the real lengths
(`check_spoken_lengths`) before anything is composed.

The estimate follows the text as it will be spoken (`clean_narration`, `split_sentences`):
- each word takes its characters at the speaking rate of its script (Devanagari is spoken
  more slowly per character than Latin), and never less than WORD_MIN_SEC;
- each digit adds DIGIT_SEC: "1999" has four characters but is read as "nineteen ninety-nine";
- each pause the speech step adds (between sentences) or the voice makes (at a comma) counts.

Calibrated with the offline voice (espeak-ng, both voices) on the library's 46 scenes in
both languages: English speaks at 15.1–18.7 characters a second (median 16.7), Hindi at
11.3–14.0 (median 12.5); a digit takes ≈0.5 s, a one-letter word ≈0.18 s, a comma ≈0.25 s.
The rates used are at the fast end, so for those stories the estimate is 0.85–1.03 of the
real speech in English (median 0.94) and 0.76–0.98 in Hindi (median 0.87): a scene that fits
is not refused, give or take a few tenths of a second. Slower cloud voices, and texts the
estimate reads too fast (spelled-out abbreviations, Roman numerals), are held to the limits by
the check after speech (`speech.check_spoken_lengths`).
"""

from __future__ import annotations

import re
import unicodedata

from renders.pipeline.text import clean_narration, split_sentences

LEAD_IN_SEC = 0.15  # a breath between the cut and the first word (speech.py adds it to every scene)
SENTENCE_PAUSE_SEC = 0.25  # the silence the speech step puts between sentences

# Characters a second, by script, for the fastest of the project's voices (see the docstring).
LATIN_CHARS_PER_SEC = 18.5
DEVANAGARI_CHARS_PER_SEC = 14.0
DIGIT_SEC = 0.35
WORD_MIN_SEC = 0.15
CLAUSE_PAUSE_SEC = 0.1  # , ; : and dashes inside a sentence

_DEVANAGARI = re.compile("[\u0900-\u097f]")
_DIGIT = re.compile(r"\d")
_CLAUSE = re.compile(r"[,;:\u2013\u2014]")


def _word_sec(word: str) -> float:
    digits = len(_DIGIT.findall(word))
    devanagari = len(_DEVANAGARI.findall(word))
    silent = sum(1 for char in word if unicodedata.category(char)[0] in "PS")  # quotes, commas, dandas
    others = len(word) - digits - devanagari - silent + 1  # + 1: the space after it
    spoken = devanagari / DEVANAGARI_CHARS_PER_SEC + max(others, 0) / LATIN_CHARS_PER_SEC + digits * DIGIT_SEC
    return max(spoken, WORD_MIN_SEC)


def estimate_speech_sec(narration: str, language: str) -> float:
    """Seconds the narration takes to speak, pauses between sentences included (0 when silent)."""
    sentences = split_sentences(clean_narration(narration), language)
    if not sentences:
        return 0.0
    spoken = sum(_word_sec(word) for sentence in sentences for word in sentence.split())
    clauses = sum(len(_CLAUSE.findall(sentence)) for sentence in sentences)
    return spoken + clauses * CLAUSE_PAUSE_SEC + (len(sentences) - 1) * SENTENCE_PAUSE_SEC


def scene_sec(requested_sec: float, speech_sec: float, padding_sec: float) -> float:
    """A scene's length on screen: as asked, or as long as its narration (with lead-in and padding) needs."""
    needed = LEAD_IN_SEC + speech_sec + padding_sec if speech_sec > 0 else 0.0
    return max(requested_sec, needed)
