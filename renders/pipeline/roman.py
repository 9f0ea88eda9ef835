"""Roman Hindi: Devanagari narration in the everyday Roman spelling Hindi speakers type. No Django here.

For viewers who speak Hindi but do not read Devanagari ("Hinglish" spelling: कमल → kamal,
भगवान → bhagwan, कृष्ण → krishna). Two steps:

1. Schwa deletion, the project's own rule (the inherent "a" Hindi does not pronounce). A word is
   cut into aksharas (a consonant or conjunct with its vowel sign, or an independent vowel).
   An akshara's inherent schwa is silent, and gets a virama before transliteration, when:

   - **final**: it is the word's last akshara, the word has two or more, and that akshara is a
     single consonant with no anusvara/chandrabindu/visarga (कमल → kamal, शिव → shiv; a final
     conjunct keeps it: कृष्ण → krishna, धर्म → dharma, मंत्र → mantra; one-akshara words keep
     it: न → na);
   - **medial** (applied right to left, in the V C a C V pattern): a single consonant with no
     mark, whose previous akshara ends in a pronounced vowel with no nasal or visarga, and
     whose next akshara is a single consonant that keeps its vowel (भगवान → bhagwan,
     कमला → kamla, दशरथ → dashrath, तुलसी → tulsi; not before a conjunct: सरस्वती → saraswati;
     not after a nasal: अंजना → anjana).

   Hindi has words the rule gets wrong (द्रौपदी says draupadi, the rule gives draupdi); the
   spelling stays readable either way.

2. Transliteration by `indic_transliteration` (sanscript, Devanagari → IAST), then IAST made
   plain ASCII as Hindi is typed: long vowels lose their macron (ā → a), ś/ṣ → sh, ṛ → ri,
   c → ch, ch → chh, jñ → gy, retroflex dots dropped, nukta letters q/kh/gh/z/f/r, anusvara
   m before p/b/m, ng before h (सिंह → singh), n elsewhere; a visarga inside a word silent
   (दुःख → dukh); v → w right after a consonant
   other than r (स्वामी → swami, भगवान → bhagwan, but पार्वती → parvati).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

LANGUAGE_CODE = "hi-Latn"  # BCP 47: Hindi in Latin script; the subtitle files are `hi-Latn.srt/.vtt`

_VIRAMA = "\u094d"
_NUKTA = "\u093c"
_MODIFIERS = "\u0901\u0902\u0903"  # chandrabindu, anusvara, visarga
_DEVANAGARI_WORD = re.compile(r"[\u0900-\u0963\u0971-\u097f]+")


def _is_consonant(char: str) -> bool:
    return "\u0915" <= char <= "\u0939" or "\u0958" <= char <= "\u095f" or "\u0978" <= char <= "\u097f"


def _is_vowel_sign(char: str) -> bool:
    return "\u093e" <= char <= "\u094c" or char in "\u0962\u0963\u0955\u0956\u0957"


def _is_independent_vowel(char: str) -> bool:
    return "\u0904" <= char <= "\u0914" or char in "\u0960\u0961\u0972"


@dataclass
class _Akshara:
    text: str  # its Devanagari, as written
    consonants: int  # 0 for an independent vowel
    vowel: str  # "a" (inherent schwa), "" (ends in a virama), or the vowel sign / independent vowel
    marked: bool  # carries an anusvara, chandrabindu or visarga
    silent: bool = False  # its schwa is deleted


def _aksharas(word: str) -> list[_Akshara]:
    units: list[_Akshara] = []
    index = 0
    while index < len(word):
        char = word[index]
        if _is_independent_vowel(char):
            text, consonants, vowel = char, 0, char
            index += 1
        elif _is_consonant(char):
            text, consonants = "", 0
            while index < len(word) and _is_consonant(word[index]):
                text += word[index]
                consonants += 1
                index += 1
                if index < len(word) and word[index] == _NUKTA:
                    text += word[index]
                    index += 1
                if index + 1 < len(word) and word[index] == _VIRAMA and _is_consonant(word[index + 1]):
                    text += word[index]
                    index += 1
                    continue
                break
            vowel = "a"
            if index < len(word) and word[index] == _VIRAMA:
                text, vowel = text + _VIRAMA, ""
                index += 1
            elif index < len(word) and _is_vowel_sign(word[index]):
                text, vowel = text + word[index], word[index]
                index += 1
        else:  # a stray mark (or a modifier after a vowel already taken): keep it with what came before
            if units:
                units[-1].text += char
                units[-1].marked |= char in _MODIFIERS
            else:
                units.append(_Akshara(char, 0, "", char in _MODIFIERS))
            index += 1
            continue
        marked = False
        while index < len(word) and word[index] in _MODIFIERS:
            text += word[index]
            marked = True
            index += 1
        units.append(_Akshara(text, consonants, vowel, marked))
    return units


def delete_schwas(word: str) -> str:
    """The word in Devanagari with a virama on every consonant whose inherent schwa is silent (see module doc)."""
    units = _aksharas(word)
    if len(units) >= 2:
        last = units[-1]
        if last.vowel == "a" and last.consonants == 1 and not last.marked:
            last.silent = True
    for index in range(len(units) - 2, 0, -1):
        unit, before, after = units[index], units[index - 1], units[index + 1]
        if unit.vowel != "a" or unit.consonants != 1 or unit.marked:
            continue
        vowel_before = before.vowel not in ("",) and not before.silent and not before.marked
        vowel_after = after.consonants == 1 and after.vowel != "" and not after.silent
        if vowel_before and vowel_after:
            unit.silent = True
    return "".join(unit.text + (_VIRAMA if unit.silent else "") for unit in units)


# IAST → everyday Roman Hindi, applied in this order.
_PLAIN = [
    ("k͟h", "kh"), ("ġ", "gh"), ("r̤", "r"), ("ẏ", "y"),
    ("jñ", "gy"), ("ch", "chh"), ("c", "ch"),
    ("ā", "a"), ("ī", "i"), ("ū", "u"), ("ṝ", "ri"), ("ṛ", "ri"), ("ḹ", "li"), ("ḷ", "li"),
    ("ś", "sh"), ("ṣ", "sh"), ("ṭ", "t"), ("ḍ", "d"), ("ṇ", "n"), ("ñ", "n"), ("ṅ", "n"),
    ("ḥ", "h"), ("~", "n"), ("ê", "e"), ("ô", "o"),
]  # fmt: skip
_VISARGA_INSIDE = re.compile(r"ḥ(?=[a-zśṣṭḍ])")
_ANUSVARA_LABIAL = re.compile(r"ṃ(?=[pbm])")
_ANUSVARA_H = re.compile(r"ṃ(?=h)")
_V_AFTER_CONSONANT = re.compile(r"(?<=[bcdfghjklmnpqstxyzḍṭṇśṣñṅ])v")


def _plain(iast: str) -> str:
    text = _V_AFTER_CONSONANT.sub("w", iast)
    text = _VISARGA_INSIDE.sub("", text)  # दुःख → dukh; a final visarga stays an h
    text = _ANUSVARA_LABIAL.sub("m", text)
    text = _ANUSVARA_H.sub("ng", text)
    text = text.replace("ṃ", "n")
    for old, new in _PLAIN:
        text = text.replace(old, new)
    return unicodedata.normalize("NFC", text)


def romanize_word(word: str) -> str:
    """One Devanagari word in Roman Hindi, lower case (ॐ → om)."""
    if word == "ॐ":
        return "om"
    from indic_transliteration import sanscript  # here: its tables cost ~12 MB, and English plans never need them

    prepared = word.replace("ॉ", "ो").replace("ऑ", "ओ").replace("ॅ", "े").replace("ऍ", "ए")
    iast = sanscript.transliterate(delete_schwas(prepared), sanscript.DEVANAGARI, sanscript.IAST)
    return _plain(iast)


def romanize(text: str, *, capitalize: bool = True) -> str:
    """A line of Hindi in Roman letters: each Devanagari word romanized, dandas as full stops,
    Devanagari digits as ASCII, everything else kept; each sentence starts with a capital unless
    `capitalize` is false (word captions show pieces of sentences)."""
    text = text.replace("॥", ".").replace("।", ".")
    text = "".join(str(unicodedata.digit(char)) if "\u0966" <= char <= "\u096f" else char for char in text)
    roman = _DEVANAGARI_WORD.sub(lambda match: romanize_word(match.group(0)), text)
    if not capitalize:
        return roman
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda match: match.group(1) + match.group(2).upper(), roman)
