"""Split a pasted story (Hindi or English) into plan scenes. No Django here.

A creator pastes a story as prose; this turns it into scenes of a few sentences each, with a
suggested English image prompt drawn from what the sentences mention (a river, a fire, a sage,
Lord Vishnu…) and a duration estimated from the narration's length. The web form, the API and
the script providers all call `split_story`; sentences are cut by the same rules the speech step
uses (`renders.pipeline.text`), so a scene's subtitles break where its narration does.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from renders.pipeline.plan import LANGUAGES, MAX_NARRATION_CHARS, Limits
from renders.pipeline.spoken_length import estimate_speech_sec, scene_sec
from renders.pipeline.text import SENTENCE_END, clean_narration, split_sentences

DEFAULT_PROMPT = "A serene devotional scene, soft light"
MAX_PROMPT_PHRASES = 4
# Speaking rates of an unhurried storyteller, in characters per second (Devanagari packs more
# sound into each character's worth of matras and conjuncts, hence the lower rate).
CHARS_PER_SEC = {"en": 14.0, "hi": 11.0}
MIN_SCENE_SEC = 3.0
MAX_SCENE_SEC = 20.0

_DEVANAGARI_LETTER = re.compile(r"[\u0900-\u0963\u0971-\u097f\ua8e0-\ua8ff]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u00a0]*\n")
_ENGLISH_WORD = re.compile(r"[a-z]+")
# Devanagari letters and signs, not the danda, double danda or digits.
_HINDI_WORD = re.compile(r"[\u0900-\u0963\u0971-\u097f]+")
_CLOSERS = "\"'”’)»]"


@dataclass(frozen=True)
class Motif:
    """Something worth painting, the words that mention it, and how to ask an illustrator for it."""

    phrase: str
    english: tuple[str, ...]
    hindi: tuple[str, ...]
    deity: bool = False
    generic: bool = False  # a generic deity gives way to a named one in the same scene


# Hindi words are matched whole and exactly (inflected forms listed), because prefixes mislead:
# "आग" (fire) begins "आगे" (ahead), "वन" (forest) ends "जीवन" (life), "दिया" also means "gave".
# English words match whole, with a plural -s/-es. Phrases carry the illustrator's own keywords
# (river, fire, temple, night, dawn, child, sage, king, demon, deity, mountain, forest, lotus).
MOTIFS: tuple[Motif, ...] = (
    Motif("the river Ganga flowing from the Himalaya", ("ganga", "ganges", "bhagirathi"),
          ("गंगा", "गङ्गा", "गंगाजी", "भागीरथी", "जाह्नवी")),
    Motif("the river Yamuna winding between green banks", ("yamuna", "jamuna"), ("यमुना", "जमुना", "कालिंदी")),
    Motif("a wide river glinting in the light", ("river", "stream"),
          ("नदी", "नदियाँ", "नदियों", "सरिता", "धारा")),
    Motif("the vast ocean with rolling waves", ("ocean", "sea"), ("समुद्र", "सागर", "समंदर")),
    Motif("a still lake with lotus leaves", ("lake", "pond"), ("सरोवर", "तालाब", "झील")),
    Motif("a sacred fire with leaping flames", ("fire", "flame", "blaze", "pyre", "bonfire", "agni"),
          ("अग्नि", "आग", "लपट", "लपटें", "लपटों", "ज्वाला", "ज्वालाएँ", "चिता", "अंगारे")),
    Motif("an ancient stone temple with oil lamps", ("temple", "shrine", "mandir"),
          ("मंदिर", "मन्दिर", "मंदिरों", "देवालय", "शिवालय")),
    Motif("rows of glowing oil lamps", ("lamp", "diya", "aarti"), ("दीपक", "दीप", "दीये", "दीपों", "आरती")),
    Motif("a young child with folded hands", ("child", "children", "boy", "girl", "kid"),
          ("बालक", "बालिका", "बच्चा", "बच्चे", "बच्ची", "बच्चों", "शिशु", "बालकों")),
    Motif("a young prince in royal silk", ("prince", "princess"), ("राजकुमार", "राजकुमारी")),
    Motif("a crowned king on a golden throne", ("king", "raja", "maharaja", "emperor", "throne"),
          ("राजा", "राजाओं", "महाराज", "महाराजा", "सम्राट", "नरेश", "राजन", "सिंहासन")),
    Motif("a graceful queen in royal silk", ("queen", "rani"), ("रानी", "रानियाँ", "रानियों", "महारानी")),
    Motif("a grand palace with marble halls", ("palace",), ("महल", "महलों", "राजमहल", "राजभवन")),
    Motif("a wise sage with a white beard", ("sage", "rishi", "muni", "hermit", "ascetic", "saint", "yogi"),
          ("ऋषि", "ऋषियों", "महर्षि", "मुनि", "संत", "साधु", "तपस्वी", "योगी")),
    Motif("the sage Narada with his veena", ("narada", "narad"), ("नारद",)),
    Motif("a figure seated in deep meditation",
          ("meditation", "meditate", "meditated", "meditating", "penance", "tapas", "austerity"),
          ("तपस्या", "तप", "ध्यान", "साधना")),
    Motif("a devotee with hands folded in prayer", ("prayer", "pray", "prayed", "worship", "worshipped", "puja"),
          ("पूजा", "प्रार्थना", "स्तुति", "आराधना", "भजन", "वंदना")),
    Motif("a moonlit night sky", ("night", "midnight", "darkness"),
          ("रात", "रातों", "रात्रि", "अंधेरा", "अँधेरा", "अंधकार")),
    Motif("a glowing full moon", ("moon", "moonlight"), ("चंद्रमा", "चन्द्रमा", "चाँद", "चांद", "चंद्र")),
    Motif("a sky full of bright stars", ("star",), ("तारा", "तारे", "तारों", "नक्षत्र")),
    Motif("golden dawn light with the rising sun", ("dawn", "sunrise", "sun", "morning", "daybreak"),
          ("सूर्य", "सूरज", "सूर्योदय", "प्रभात", "भोर", "सुबह", "सवेरा", "प्रातः")),
    Motif("an orange and violet dusk sky", ("dusk", "sunset", "evening", "twilight"),
          ("संध्या", "सांझ", "साँझ", "शाम", "गोधूलि", "सूर्यास्त")),
    Motif("pink lotus flowers on still water", ("lotus", "lotuses"), ("कमल", "कमलों", "पद्म")),
    Motif("fresh flowers and garlands", ("flower", "garland", "petal"), ("फूल", "फूलों", "पुष्प", "पुष्पों", "माला")),
    Motif("snow-capped Himalayan mountains", ("mountain", "himalaya", "himalayas", "peak", "kailash", "hill"),
          ("पर्वत", "पर्वतों", "पहाड़", "पहाड़ों", "हिमालय", "कैलाश", "शिखर")),
    Motif("a deep green forest", ("forest", "jungle", "woods", "grove"),
          ("वन", "वनों", "जंगल", "जंगलों", "अरण्य", "कानन", "मधुवन", "वृंदावन")),
    Motif("a great banyan tree", ("tree", "banyan"), ("पेड़", "पेड़ों", "वृक्ष", "बरगद", "पीपल")),
    Motif("a humble village of thatched huts under shady trees", ("village", "hut", "cottage"),
          ("गाँव", "गांव", "ग्राम", "कुटिया", "झोपड़ी")),
    Motif("gentle white cows grazing on a river bank", ("cow", "calf"), ("गाय", "गायें", "गायों", "गौ", "बछड़ा")),
    Motif("a decorated elephant at the palace gate", ("elephant",), ("हाथी", "हाथियों", "गज")),
    Motif("a great coiled serpent under dark clouds", ("snake", "serpent", "naga"), ("साँप", "सांप", "सर्प", "नाग")),
    Motif("a carved stone pillar in a palace hall", ("pillar", "column"), ("खंभा", "खंभे", "खम्भा", "स्तंभ")),
    Motif("a loving mother", ("mother",), ("माँ", "मां", "माता")),
    Motif("a fearsome demon with glowing eyes", ("demon", "asura", "rakshasa"),
          ("असुर", "असुरों", "असुरराज", "राक्षस", "राक्षसों", "दैत्य", "दैत्यों", "दानव")),
    Motif("the blue-skinned deity Vishnu with four arms and a golden halo", ("vishnu", "narayana", "narayan", "hari"),
          ("विष्णु", "नारायण", "हरि", "श्रीहरि"), deity=True),
    Motif("the deity Shiva with matted hair, a trident and a serpent at his throat",
          ("shiva", "shiv", "mahadev", "mahadeva", "shankar"),
          ("शिव", "शिवजी", "महादेव", "शंकर", "भोलेनाथ"), deity=True),
    Motif("the fierce lion-headed deity Narasimha", ("narasimha", "narsingh", "nrisimha"), ("नरसिंह", "नृसिंह"),
          deity=True),
    Motif("the deity Krishna with a flute and a peacock feather", ("krishna", "kanha", "govinda", "gopal"),
          ("कृष्ण", "श्रीकृष्ण", "कान्हा", "कन्हैया", "गोविंद", "गोपाल", "मुरलीधर"), deity=True),
    Motif("the deity Rama holding his bow", ("rama", "ram", "raghava", "raghunath"),
          ("राम", "श्रीराम", "रघुनाथ", "रघुवीर"), deity=True),
    Motif("the graceful Sita in a simple sari", ("sita",), ("सीता",)),
    Motif("the mighty deity Hanuman carrying a golden mace", ("hanuman", "bajrangbali", "maruti"),
          ("हनुमान", "बजरंगबली", "पवनपुत्र", "मारुति"), deity=True),
    Motif("the elephant-headed deity Ganesha", ("ganesha", "ganesh", "ganapati"), ("गणेश", "गणपति", "विनायक"),
          deity=True),
    Motif("the goddess Durga riding a lion", ("durga",), ("दुर्गा",), deity=True),
    Motif("the goddess Lakshmi seated on a pink lotus", ("lakshmi",), ("लक्ष्मी",), deity=True),
    Motif("the four-faced deity Brahma seated on a lotus", ("brahma",), ("ब्रह्मा",), deity=True),
    Motif("a radiant deity with a golden halo", ("god", "goddess", "lord", "deity", "divine", "bhagwan"),
          ("भगवान", "प्रभु", "ईश्वर", "देवता", "देवताओं", "देवी", "परमात्मा"), deity=True, generic=True),
)  # fmt: skip


def _normalize(text: str) -> str:
    # NFC turns precomposed nukta letters (ड़ as one code point) into letter + nukta, so both
    # spellings compare equal; joiners only shape conjuncts and never change the word.
    return unicodedata.normalize("NFC", text).replace("\u200c", "").replace("\u200d", "")


def _build_index() -> tuple[dict[str, int], dict[str, int]]:
    english: dict[str, int] = {}
    hindi: dict[str, int] = {}
    for index, motif in enumerate(MOTIFS):
        for word in motif.english:
            for form in (word, word + "s", word + "es"):
                english.setdefault(form, index)
        for word in motif.hindi:
            hindi.setdefault(_normalize(word), index)
    return english, hindi


_ENGLISH_INDEX, _HINDI_INDEX = _build_index()


def motifs_in(text: str) -> list[Motif]:
    """The motifs a text mentions, in the order it first mentions them."""
    text = _normalize(text)
    found: list[tuple[int, int]] = []  # (position, motif index)
    seen: set[int] = set()
    for pattern, index_of in ((_ENGLISH_WORD, _ENGLISH_INDEX), (_HINDI_WORD, _HINDI_INDEX)):
        for match in pattern.finditer(text.lower()):
            index = index_of.get(match.group())
            if index is not None and index not in seen:
                seen.add(index)
                found.append((match.start(), index))
    motifs = [MOTIFS[index] for _position, index in sorted(found)]
    if any(motif.deity and not motif.generic for motif in motifs):
        motifs = [motif for motif in motifs if not motif.generic]
    return motifs


def suggest_image_prompt(text: str) -> str:
    """An English image prompt for what a passage mentions, or a calm default when it names nothing."""
    phrases = [motif.phrase for motif in motifs_in(text)][:MAX_PROMPT_PHRASES]
    if not phrases:
        return DEFAULT_PROMPT
    prompt = ", ".join(phrases)
    return prompt[0].upper() + prompt[1:]


def detect_language(text: str) -> str:
    """ "hi" when most letters are Devanagari, else "en" (also for text without letters)."""
    devanagari = len(_DEVANAGARI_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    return "hi" if devanagari > latin else "en"


def estimate_duration_sec(narration: str, language: str) -> float:
    """Seconds an unhurried narrator needs for this text, on the 0.5 s grid, within 3 to 20 s."""
    seconds = len(narration) / CHARS_PER_SEC.get(language, CHARS_PER_SEC["en"])
    seconds = math.ceil(seconds * 2) / 2
    return min(max(seconds, MIN_SCENE_SEC), MAX_SCENE_SEC)


def _ends_with_terminator(line: str) -> bool:
    line = line.rstrip().rstrip(_CLOSERS)
    return bool(line) and line[-1] in SENTENCE_END


def _paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs. Without any, lines that each end a sentence are
    paragraphs too (a story pasted one paragraph per line); hard-wrapped prose stays whole."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = [part for part in _PARAGRAPH_BREAK.split(text) if part.strip()]
    if len(parts) == 1:
        lines = [line for line in parts[0].split("\n") if line.strip()]
        if len(lines) > 1 and all(_ends_with_terminator(line) for line in lines):
            parts = lines
    return parts


def _even_chunks(items: list[str], count: int) -> list[list[str]]:
    """items in `count` runs whose sizes differ by at most one, longer runs first."""
    size, extra = divmod(len(items), count)
    chunks: list[list[str]] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        if end > start:
            chunks.append(items[start:end])
        start = end
    return chunks


def _chunks_by_length(items: list[list[str]], count: int) -> list[list[str]]:
    """Runs of items (each a list of sentences) merged into at most `count` groups of similar length.

    Each item goes to the group its midpoint falls in when the whole text is laid end to end and
    cut into `count` equal spans: contiguous, order-preserving, never splitting an item.
    """
    lengths = [sum(len(sentence) for sentence in item) for item in items]
    total = sum(lengths) or 1
    groups: dict[int, list[str]] = {}
    position = 0
    for item, length in zip(items, lengths, strict=True):
        slot = min(count - 1, int((position + length / 2) * count / total))
        groups.setdefault(slot, []).extend(item)
        position += length
    return [groups[slot] for slot in sorted(groups)]


def _scene_text(sentences: list[str]) -> str:
    return " ".join(sentences)


def _spoken_scene_sec(narration: str, language: str) -> float:
    """How long the scene lasts once its narration is spoken (what the plan's limits count)."""
    return scene_sec(0.0, estimate_speech_sec(narration, language), Limits.narration_padding_sec)


def _fits_a_scene(narration: str, language: str) -> bool:
    return len(narration) <= MAX_NARRATION_CHARS and _spoken_scene_sec(narration, language) <= MAX_SCENE_SEC


def _group_within_limits(paragraph: list[str], sentences_per_scene: int, language: str) -> list[list[str]]:
    count = math.ceil(len(paragraph) / sentences_per_scene)
    while True:
        chunks = _even_chunks(paragraph, count)
        if count >= len(paragraph) or all(_fits_a_scene(_scene_text(chunk), language) for chunk in chunks):
            return chunks
        count += 1


def _allocate_scenes(lengths: list[int], wanted: list[int], budget: int) -> list[int]:
    """Scenes per paragraph within the budget: one each, then each further scene to the
    paragraph with the most text per scene (the D'Hondt rule), never more than it wants."""
    allocation = [1] * len(lengths)
    for _ in range(budget - len(lengths)):
        open_paragraphs = [index for index in range(len(lengths)) if allocation[index] < wanted[index]]
        if not open_paragraphs:
            break
        best = max(open_paragraphs, key=lambda index: lengths[index] / allocation[index])
        allocation[best] += 1
    return allocation


def _group_sentences(
    paragraphs: list[list[str]], sentences_per_scene: int, max_scenes: int, language: str
) -> list[list[str]]:
    grouped = [_group_within_limits(paragraph, sentences_per_scene, language) for paragraph in paragraphs]
    if sum(len(groups) for groups in grouped) <= max_scenes:
        return [group for groups in grouped for group in groups]
    # Too many scenes: keep every sentence and put more of them in each scene instead.
    if len(paragraphs) > max_scenes:
        return _chunks_by_length(paragraphs, max_scenes)
    lengths = [sum(len(sentence) for sentence in paragraph) for paragraph in paragraphs]
    allocation = _allocate_scenes(lengths, [len(groups) for groups in grouped], max_scenes)
    scenes: list[list[str]] = []
    for paragraph, count in zip(paragraphs, allocation, strict=True):
        scenes.extend(_chunks_by_length([[sentence] for sentence in paragraph], count))
    return scenes


def split_story(
    text: str, language: str | None = None, *, sentences_per_scene: int = 2, max_scenes: int = 20
) -> list[dict[str, Any]]:
    """Scenes ({image_prompt, narration, duration_sec}) telling a pasted story, in order.

    Sentences end at . ! ? … । ॥; a scene holds `sentences_per_scene` of them and never spans a
    paragraph break, unless the story would need more than `max_scenes` scenes: then scenes
    hold more, so no sentence is ever dropped. Markdown, links and emoji are removed as the
    speech step would. Raises ValueError for an empty story, bad arguments, or a story too long
    to fit `max_scenes` scenes of at most MAX_NARRATION_CHARS characters.
    """
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)} (got {language!r})")
    if isinstance(sentences_per_scene, bool) or not isinstance(sentences_per_scene, int) or sentences_per_scene < 1:
        raise ValueError(f"sentences_per_scene must be a whole number of at least 1 (got {sentences_per_scene!r})")
    if isinstance(max_scenes, bool) or not isinstance(max_scenes, int) or max_scenes < 1:
        raise ValueError(f"max_scenes must be a whole number of at least 1 (got {max_scenes!r})")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("The story is empty: paste a few sentences to split into scenes.")
    language = language or detect_language(text)

    paragraphs: list[list[str]] = []
    for paragraph in _paragraphs(text):
        cleaned = clean_narration(paragraph)
        if cleaned:
            paragraphs.append(split_sentences(cleaned, language))
    if not paragraphs:
        raise ValueError("The story is empty: it has no words to narrate, only symbols or markup.")

    scenes: list[dict[str, Any]] = []
    grouped = _group_sentences(paragraphs, sentences_per_scene, max_scenes, language)
    for number, sentences in enumerate(grouped, start=1):
        narration = _scene_text(sentences)
        total = sum(len(sentence) for paragraph in paragraphs for sentence in paragraph)
        if len(narration) > MAX_NARRATION_CHARS:
            raise ValueError(
                f"The story is too long for {max_scenes} scenes: scene {number} would need {len(narration)} "
                f"characters of narration (at most {MAX_NARRATION_CHARS}). The story has {total} characters; "
                "shorten it or split it into parts."
            )
        spoken = _spoken_scene_sec(narration, language)
        if spoken > MAX_SCENE_SEC and len(sentences) > 1:
            # One sentence that alone is too long is left for the creator to cut, in the editor.
            raise ValueError(
                f"The story is too long for {max_scenes} scenes: scene {number} would last about {spoken:.0f} "
                f"seconds spoken (at most {MAX_SCENE_SEC:g}). The story has {total} characters; "
                "shorten it or split it into parts."
            )
        scenes.append(
            {
                "image_prompt": suggest_image_prompt(narration),
                "narration": narration,
                "duration_sec": estimate_duration_sec(narration, language),
            }
        )
    return scenes
