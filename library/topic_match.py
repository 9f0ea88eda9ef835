"""Find the library story a free-text topic names, in Devanagari or any Latin spelling. No Django here.

People type a story's name the way they heard it: `prahlad`, `Prahlada`, `Prahalad`, `प्रह्लाद`,
`प्रहलाद`, or a character in it (`Narasimha`, `नरसिंह`, `Holika`). `match_topic` compares the topic
with every story's id, titles and aliases after folding both into a spelling-blind key:

- Latin: case, accents and punctuation go; long vowels fold to short (aa→a, ee/ii→i, oo/uu→u),
  doubled letters to one, sh/ksh to s/ks, w to v, an aspirate h after a consonant goes (bh→b,
  dh→d), and a word's final a goes (Prahlada→prahlad, Rama→ram).
- Devanagari: nukta and virama go (प्रह्लाद = प्रहलाद), long vowel signs fold to short (ी→ि,
  ू→ु), chandrabindu to anusvara.

Each content word of the topic (stop words such as "story", "of", "lord", "कथा" aside) counts
for a story when one of the story's names holds it (`the story of Prahlad for children` →
prahlad; `Govardhan` in `Krishna Lifts Govardhan Hill`); a word of five or more letters also
counts when nearly the same (`Narsimha`, `Prahalaad`), but not when only its ending differs
(`parvat`, a mountain, is not `Parvati`). The story accounting for most of the
topic's words wins; among a tie, the one story with a name that is exactly the topic. Otherwise
there is no match (`Krishna` alone may name several stories) and `closest` lists the tied
stories, or, when nothing matched at all, the stories whose names are most alike, so a caller
can suggest them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import NamedTuple

from library.stories import StoryTemplate, list_templates

CLOSEST_COUNT = 3
# Words of at least this many letters (after folding) may match a name's word that is nearly the same.
FUZZY_MIN_LETTERS = 5
FUZZY_MIN_RATIO = 0.84

# Words that say nothing about which story: they never match on their own.
STOP_WORDS = frozenset(
    """
    a an the of and or in on at to for from with by as is was his her its their this that about
    story stories tale tales katha kahani legend video short film telling told tell me please
    lord god goddess bhagwan bhagvan bhagavan sri shri ji mata devi swami maharaj
    hindi english kids children child bhakt bhakti devotee devotion great little young old king queen
    """.split()
) | frozenset("की का के को में से और एक कथा कहानी भगवान श्री जी माता देवी भक्त प्रभु राजा रानी".split())

_LATIN_WORD = re.compile(r"[a-z0-9]+")
_DEVANAGARI_WORD = re.compile(r"[\u0900-\u0963\u0970-\u097f]+")
_TOKEN = re.compile(r"[a-z0-9]+|[\u0900-\u0963\u0970-\u097f]+")
_ASPIRATED = re.compile(r"([bcdgjkpt])h")
_DOUBLED = re.compile(r"([a-z])\1+")
_DEVANAGARI_FOLD = str.maketrans(
    {
        "\u093c": None,  # nukta: क़ = क
        "\u094d": None,  # virama: प्रह्लाद = प्रहलाद
        "\u0940": "\u093f",  # ी → ि
        "\u0942": "\u0941",  # ू → ु
        "\u0908": "\u0907",  # ई → इ
        "\u090a": "\u0909",  # ऊ → उ
        "\u0901": "\u0902",  # chandrabindu → anusvara
        "\u200c": None,
        "\u200d": None,
    }
)


class TopicMatch(NamedTuple):
    story: StoryTemplate | None
    closest: list[StoryTemplate]


def _fold_latin(word: str) -> str:
    word = word.replace("ksh", "ks").replace("sh", "s").replace("w", "v").replace("ph", "f")
    word = word.replace("ee", "i").replace("oo", "u")
    word = _ASPIRATED.sub(r"\1", word)
    word = _DOUBLED.sub(r"\1", word)  # aa→a, ii→i, uu→u, ll→l …
    if len(word) > 3 and word.endswith("a"):
        word = word[:-1]
    return word


def _strip_accents(text: str) -> str:
    # Combining marks go only after a Latin letter: a Devanagari vowel sign is a letter's sound.
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char) == "Mn" and kept and kept[-1].isascii():
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def name_key(text: str) -> tuple[str, ...]:
    """The spelling-blind words of a name or topic (see the module docstring), stop words kept."""
    text = _strip_accents(unicodedata.normalize("NFKC", text)).casefold()
    words: list[str] = []
    for token in _TOKEN.findall(text):
        if _LATIN_WORD.fullmatch(token):
            words.append(_fold_latin(token))
        else:
            folded = unicodedata.normalize("NFD", token).translate(_DEVANAGARI_FOLD)
            if folded:
                words.append(folded)
    return tuple(words)


_FOLDED_STOP_WORDS = frozenset(word for stop in STOP_WORDS for word in name_key(stop))


def _is_content(word: str) -> bool:
    return word not in _FOLDED_STOP_WORDS


def story_names(story: StoryTemplate) -> list[str]:
    """Every name a story answers to: its id, both titles and its aliases in both scripts."""
    return [story.id.replace("-", " "), story.title_en, story.title_hi, *story.aliases_en, *story.aliases_hi]


def _words_match(topic_word: str, name_word: str) -> bool:
    if topic_word == name_word:
        return True
    if min(len(topic_word), len(name_word)) < FUZZY_MIN_LETTERS:
        return False
    # A different ending makes a different word (parvat, a mountain; Parvati, the goddess).
    if topic_word.startswith(name_word) or name_word.startswith(topic_word):
        return False
    return SequenceMatcher(None, topic_word, name_word).ratio() >= FUZZY_MIN_RATIO


def _content(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(word for word in words if _is_content(word))


def _coverage(topic: tuple[str, ...], names: list[tuple[str, ...]]) -> tuple[int, bool]:
    """How many of the topic's content words the story's names account for, and whether one name is all of it."""
    content = _content(topic)
    name_words = {word for name in names for word in _content(name)}
    covered = sum(1 for word in content if any(_words_match(word, name_word) for name_word in name_words))
    exact = any(_content(name) == content for name in names)
    return covered, exact


def _similarity(topic: tuple[str, ...], names: list[tuple[str, ...]]) -> float:
    """How alike the topic is to the story's most alike name, 0 to 1, for suggestions."""
    joined = " ".join(topic)
    best = 0.0
    for name in names:
        best = max(best, SequenceMatcher(None, joined, " ".join(name)).ratio())
        for word in name:
            for topic_word in topic:
                if _is_content(topic_word) and _is_content(word):
                    best = max(best, SequenceMatcher(None, topic_word, word).ratio() * 0.9)
    return best


def match_topic(topic: str, stories: Iterable[StoryTemplate] | None = None) -> TopicMatch:
    """The story `topic` names, or None with the closest few stories to suggest instead.

    `stories` defaults to the whole library. When a story matches, `closest` is empty.
    """
    candidates = list(stories) if stories is not None else list_templates()
    key = name_key(topic)
    keyed = [(story, [name_key(name) for name in story_names(story)]) for story in candidates]
    if _content(key):
        scores = [(_coverage(key, names), story) for story, names in keyed]
        best = max(covered for (covered, _exact), _story in scores)
        if best:
            leaders = [(exact, story) for (covered, exact), story in scores if covered == best]
            exact_leaders = [story for exact, story in leaders if exact]
            if len(leaders) == 1 or len(exact_leaders) == 1:
                return TopicMatch(exact_leaders[0] if len(leaders) > 1 else leaders[0][1], [])
            return TopicMatch(None, [story for _exact, story in leaders])
    # Tags count for suggestions only: "Rama" suggests the stories tagged rama, but names none of them.
    ranked = sorted(
        keyed, key=lambda item: _similarity(key, item[1] + [name_key(tag) for tag in item[0].tags]), reverse=True
    )
    return TopicMatch(None, [story for story, _names in ranked[:CLOSEST_COUNT]])


def search_stories(query: str, stories: Iterable[StoryTemplate] | None = None) -> list[StoryTemplate]:
    """Every story any of whose names the query matches, best first (the gallery's search box)."""
    candidates = list(stories) if stories is not None else list_templates()
    key = name_key(query)
    if not _content(key):
        return candidates
    scored = [(_coverage(key, [name_key(name) for name in story_names(story)]), story) for story in candidates]
    ranked = sorted(scored, key=lambda item: (-item[0][0], not item[0][1]))
    return [story for (covered, _exact), story in ranked if covered]
