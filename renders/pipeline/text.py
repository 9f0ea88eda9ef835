"""Narration text: strip what is never spoken, split into sentences, measure display width. No Django here.

Creators paste narration from chat tools and notes, so it arrives with Markdown, links and
emoji. A speech engine reads those aloud ("asterisk", "h t t p s"), so `clean_narration` removes
them while leaving Devanagari untouched: combining vowel signs, virama, nukta, ZWJ/ZWNJ inside
conjuncts, danda (।) and double danda (॥) all survive byte for byte.
"""

from __future__ import annotations

import re
import unicodedata

# Lines that are only a Markdown rule: ---, ***, ___ (three or more, spaces allowed).
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_QUOTE = re.compile(r"^\s*(>\s?)+")
# Bullets "- ", "* ", "+ ", "• " and short numbered items "1. ", "2) ", "१. " at the start of a line.
_BULLET = re.compile(r"^\s*(?:[-*+•·▪‣◦]|(?:\d{1,2}|[०-९]{1,2})[.)])\s+")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*\)")
_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>()\[\]]+", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC_STAR = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_ITALIC_UNDERSCORE = re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"~~(.+?)~~")
_CODE = re.compile(r"`+([^`]*)`+")
_KEYCAP = re.compile(r"[0-9#*]\ufe0f?\u20e3")
# Markup characters left over after the pairs above are gone; an engine would spell them out.
_STRAY = re.compile(r"[*`~#]+|(?<!\w)_+|_+(?!\w)")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?।॥])")
_SPACES = re.compile(r"\s+")
_DASH_RUN = re.compile(r"(?<!\S)-{2,}(?!\S)")

# Pictograph blocks (emoji, dingbats, arrows, misc symbols, regional indicator flags, tags).
_PICTOGRAPH_RANGES = (
    (0x2190, 0x21FF),
    (0x2300, 0x23FF),
    (0x2460, 0x24FF),
    (0x25A0, 0x27BF),
    (0x2900, 0x297F),
    (0x2B00, 0x2BFF),
    (0x1F000, 0x1FAFF),
    (0xE0000, 0xE007F),
)
# Joiners and selectors that only glue emoji together when they sit next to one; inside a
# Devanagari conjunct ZWJ/ZWNJ are meaningful and stay.
_EMOJI_GLUE = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}
_SKIN_TONES = range(0x1F3FB, 0x1F400)

SENTENCE_END = ".!?।॥…"
_CLOSERS = "\"'”’)»]"
_DEVANAGARI = range(0x0900, 0x0980)
_VIRAMA = "\u094d"

# English abbreviations whose period does not end a sentence.
_TITLES = {
    "mr.", "mrs.", "ms.", "dr.", "st.", "sr.", "jr.", "prof.", "mt.", "shri.", "smt.", "sri.", "capt.", "gen.",
    "डॉ.", "श्री.", "श्रीमती.", "प्रो.",
}  # fmt: skip
_ABBREVIATIONS = _TITLES | {
    "e.g.", "i.e.", "vs.", "etc.", "a.m.", "p.m.", "no.", "approx.", "cf.", "fig.", "ca.", "b.c.", "a.d.",
}  # fmt: skip
# After these a capitalised word usually starts a new sentence ("... and so on etc. Then ...").
_MAY_END_SENTENCE = {"etc.", "a.m.", "p.m.", "b.c.", "a.d."}

MAX_SENTENCE_CHARS = 200


def _is_pictograph(char: str) -> bool:
    code = ord(char)
    if code in _SKIN_TONES:
        return True
    if any(low <= code <= high for low, high in _PICTOGRAPH_RANGES):
        return True
    # "Other symbol" covers the remaining emoji-like marks (©, ☸, ♫ …) but not letters like ॐ;
    # the degree sign is spoken ("30°C").
    return unicodedata.category(char) == "So" and char != "°"


def _strip_pictographs(text: str) -> str:
    chars = list(_KEYCAP.sub("", text))
    pictograph = [_is_pictograph(char) for char in chars]
    kept: list[str] = []
    for index, char in enumerate(chars):
        if pictograph[index]:
            continue
        if char in _EMOJI_GLUE:
            before = index > 0 and pictograph[index - 1]
            after = index + 1 < len(chars) and pictograph[index + 1]
            # A variation selector or keycap mark never belongs to Devanagari: drop it always;
            # a ZWJ only when it glues emoji.
            if char != "\u200d" or before or after:
                continue
        kept.append(char)
    return "".join(kept)


def _is_mostly_devanagari(text: str) -> bool:
    letters = [char for char in text if char.isalpha() or unicodedata.category(char).startswith("M")]
    return bool(letters) and sum(ord(char) in _DEVANAGARI for char in letters) * 2 >= len(letters)


def _end_block(line: str) -> str:
    """End a heading, list item or paragraph with a full stop so it is spoken as its own sentence."""
    line = line.rstrip()
    if not line or line[-1] in SENTENCE_END or line[-1] in ",;:" or line[-1] in "\"'”’)»":
        return line
    return line + ("।" if _is_mostly_devanagari(line) else ".")


def _clean_inline(text: str) -> str:
    text = _HTML_TAG.sub(" ", text)
    text = _IMAGE.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    for _ in range(2):  # nested emphasis like ***x*** or **_x_**
        text = _BOLD.sub(r"\2", text)
        text = _ITALIC_STAR.sub(r"\1", text)
        text = _ITALIC_UNDERSCORE.sub(r"\1", text)
    text = _STRIKE.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _strip_pictographs(text)
    text = _DASH_RUN.sub(" — ", text)
    return _STRAY.sub(" ", text)


def clean_narration(text: str) -> str:
    """Narration as it should be spoken: no Markdown, links, URLs, HTML tags or emoji; single spaces.

    Headings, list items and paragraphs that end without punctuation get a full stop (a danda
    for Devanagari lines) so that they are spoken, and subtitled, as sentences of their own.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    pieces: list[str] = []
    for index, raw in enumerate(lines):
        if _RULE.match(raw):
            if pieces:
                pieces[-1] = _end_block(pieces[-1])
            continue
        block_line = bool(_HEADING.match(raw) or _BULLET.match(_QUOTE.sub("", raw)))
        line = _HEADING.sub("", raw)
        line = _QUOTE.sub("", line)
        line = _BULLET.sub("", line)
        line = _SPACES.sub(" ", _clean_inline(line)).strip()
        if not line:
            if pieces:  # a blank line ends a paragraph
                pieces[-1] = _end_block(pieces[-1])
            continue
        next_raw = lines[index + 1] if index + 1 < len(lines) else ""
        next_starts_block = bool(_HEADING.match(next_raw) or _BULLET.match(_QUOTE.sub("", next_raw)))
        if block_line or next_starts_block:
            line = _end_block(line)
        pieces.append(line)
    cleaned = _SPACES.sub(" ", " ".join(pieces)).strip()
    cleaned = _SPACE_BEFORE_PUNCT.sub(r"\1", cleaned)
    # Punctuation alone ("—", "...") is nothing to say: such a scene is a silent one.
    return cleaned if _has_speakable(cleaned) else ""


def _word_before(text: str, index: int) -> str:
    """The whitespace-delimited word that ends at text[index] (inclusive)."""
    start = index
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start : index + 1]


def _next_word(text: str, index: int) -> str:
    match = re.match(r"\s*(\S*)", text[index:])
    return match.group(1) if match else ""


def _ends_sentence(text: str, index: int, language: str) -> bool:
    """Whether the terminator at text[index] ends a sentence."""
    char = text[index]
    if char in "।॥":
        return True
    after = index + 1
    while after < len(text) and text[after] in _CLOSERS:
        after += 1
    following = text[after : after + 1]
    if following and not following.isspace():
        return False  # "3.14", "e.g", "?!" (the run's last mark decides)
    if after > index + 1 and _next_word(text, after)[:1].islower():
        return False  # a quotation inside a sentence: 'He said "Go!" and went.'
    if char != ".":
        return True
    word = _word_before(text, index).lstrip("\"'“‘(«[").lower()
    if word in _TITLES:
        return False
    if language == "en" or word.isascii():
        if word in _ABBREVIATIONS:
            upcoming = _next_word(text, index + 1).lstrip("\"'“‘(«[")
            return word in _MAY_END_SENTENCE and upcoming[:1].isupper()
        # A single capital initial: "A. P. J. Abdul Kalam".
        if len(word) == 2 and word[0].isalpha() and word[0].isascii() and _word_before(text, index)[-2].isupper():
            return False
    return True


def _has_speakable(text: str) -> bool:
    return any(char.isalnum() or unicodedata.category(char).startswith("M") for char in text)


def _split_long(sentence: str) -> list[str]:
    """Split a sentence longer than MAX_SENTENCE_CHARS at clause marks, else at the middle space."""
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return [sentence]
    middle = len(sentence) / 2
    cuts = [match.end() for match in re.finditer(r"[,;:—–](?=\s)", sentence)]
    if not cuts:
        cuts = [match.start() for match in re.finditer(r"\s", sentence)]
    cuts = [cut for cut in cuts if 0 < cut < len(sentence) - 1]
    if not cuts:
        return [sentence]  # one enormous word: nothing sensible to cut at
    cut = min(cuts, key=lambda position: abs(position - middle))
    head, tail = sentence[:cut].strip(), sentence[cut:].strip()
    if not head or not tail:
        return [sentence]
    return _split_long(head) + _split_long(tail)


def split_sentences(text: str, language: str) -> list[str]:
    """Sentences of cleaned narration, in order; never empty strings.

    Splits after . ! ? … । ॥ (closing quotes and brackets stay with their sentence); keeps
    English abbreviations and initials together; splits sentences over MAX_SENTENCE_CHARS at
    commas or semicolons. A piece without letters or digits joins the sentence before it.
    """
    text = _SPACES.sub(" ", text).strip()
    sentences: list[str] = []
    start = 0
    index = 0
    while index < len(text):
        if text[index] in SENTENCE_END and _ends_sentence(text, index, language):
            end = index + 1
            while end < len(text) and text[end] in _CLOSERS:
                end += 1
            sentences.append(text[start:end].strip())
            start = end
            index = end
            continue
        index += 1
    sentences.append(text[start:].strip())

    merged: list[str] = []
    for sentence in sentences:
        if not sentence:
            continue
        if merged and not _has_speakable(sentence):
            merged[-1] = merged[-1] + sentence
        elif merged and not _has_speakable(merged[-1]):
            merged[-1] = (merged[-1] + " " + sentence).strip()
        else:
            merged.append(sentence)
    return [piece for sentence in merged for piece in _split_long(sentence)]


def display_units(text: str) -> int:
    """Width of text in grapheme-ish units, for line wrapping.

    Combining marks (vowel signs, virama, nukta, anusvara), joiners and variation selectors add
    nothing to their base letter, and a consonant joined by a virama counts with the conjunct it
    belongs to, so "प्रार्थना" is 4 units, not 9 code points.
    """
    units = 0
    previous = ""
    for char in text:
        category = unicodedata.category(char)
        if category in ("Mn", "Mc", "Me") or char in "\u200c\u200d":
            previous = char
            continue
        if previous == _VIRAMA and ord(char) in _DEVANAGARI:
            previous = char
            continue
        units += 1
        previous = char
    return units
