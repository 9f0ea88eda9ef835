"""Find the library story a free-text topic names, in Devanagari or any Latin spelling. No Django here.

People type a story's name the way they heard it: `prahlad`, `Prahlada`, `Prahalad`, `प्रह्लाद`,
`प्रहलाद`, or a character in it (`Narasimha`, `नरसिंह`, `Holika`). `match_topic` compares the topic
with every story's id, titles and aliases after folding both into a spelling-blind key:

- Latin: case, accents and punctuation go; long vowels fold to short (aa→a, ee/ii→i, oo/uu→u),
  doubled letters to one, sh/ksh to s/ks, w to v, an aspirate h after a consonant goes (bh→b,
  dh→d), and a word's final a goes (Prahlada→prahlad, Rama→ram).
- Devanagari: nukta and virama go (प्रह्लाद = प्रहलाद), long vowel signs fold to short (ी→ि,
  ू→ु), chandrabindu to anusvara.

Each content word of the topic (stop words such as "story", "of", "lord", "कथा" aside) is
looked for in every story's names and tags (`the story of Prahlad for children` → prahlad;
`Govardhan` in `Krishna Lifts Govardhan Hill`; `Vishnu`, a tag of six stories); a word of five
or more letters also counts when nearly the same (`Narsimha`, `Prahalaad`), but not when only
its ending differs (`parvat`, a mountain, is not `Parvati`). A story with a name that is exactly
the topic wins. Otherwise only a story that some word of the topic names and no other story
holds can win, and among those the one holding most of the topic (a word weighs 2 in a name, 1
in a tag, shared among the stories holding it). `Rama` alone names four stories and matches
none; `closest` then lists the stories holding words of the topic, best first, then the stories
whose names and tags are most alike, so a caller can suggest them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher
from functools import cache
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
) | frozenset("की का के को में से और एक कथा कहानी भगवान श्री जी माता देवी भक्त भक्ति प्रभु राजा रानी".split())

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
    # One letter is never a name: the "s" of "father's" must not match the "s" of "Shabari's".
    return len(word) > 1 and word not in _FOLDED_STOP_WORDS


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


@cache
def _story_keys(story: StoryTemplate) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The story's names and its tags, each as a name key (computed once per story)."""
    return [name_key(name) for name in story_names(story)], [name_key(tag) for tag in story.tags]


class _Score(NamedTuple):
    weight: float  # each topic word it holds: 2 in a name or 1 in a tag, shared among the stories holding it
    distinctive: bool  # one of its names holds a topic word that no other story holds
    exact: bool  # one of its names is the whole topic
    story: StoryTemplate


def _holds(words: set[str], topic_word: str) -> bool:
    return any(_words_match(topic_word, word) for word in words)


def _scores(key: tuple[str, ...], stories: list[StoryTemplate]) -> list[_Score]:
    content = _content(key)
    words = []
    for story in stories:
        names, tags = _story_keys(story)
        words.append(({word for name in names for word in _content(name)}, {word for tag in tags for word in tag}))
    weights = [0.0] * len(stories)
    distinctive = [False] * len(stories)
    for topic_word in content:
        by_name = {index for index, (name_words, _tags) in enumerate(words) if _holds(name_words, topic_word)}
        by_tag = {index for index, (_names, tag_words) in enumerate(words) if _holds(tag_words, topic_word)}
        holders = by_name | by_tag
        for index in holders:
            weights[index] += (2.0 if index in by_name else 1.0) / len(holders)
        if len(holders) == 1 and by_name:
            distinctive[by_name.pop()] = True
    return [
        _Score(
            weights[index], distinctive[index], any(_content(name) == content for name in _story_keys(story)[0]), story
        )
        for index, story in enumerate(stories)
    ]


def match_topic(topic: str, stories: Iterable[StoryTemplate] | None = None) -> TopicMatch:
    """The story `topic` names, or None with the stories to suggest instead.

    `stories` defaults to the whole library. When a story matches, `closest` is empty;
    otherwise it lists the stories holding some of the topic's words (best first), then the
    most alike, at least CLOSEST_COUNT in all.
    """
    candidates = list(stories) if stories is not None else list_templates()
    key = name_key(topic)

    def likeness(story: StoryTemplate) -> float:
        names, tags = _story_keys(story)
        return _similarity(key, names + tags)

    partial: list[StoryTemplate] = []
    if _content(key):
        scores = _scores(key, candidates)
        exact = [score.story for score in scores if score.exact]
        if len(exact) == 1:
            return TopicMatch(exact[0], [])
        # Only a story that a word of the topic names alone can win: "Rama" names four.
        named = [score for score in scores if score.distinctive]
        best = max((score.weight for score in named), default=0.0)
        leaders = [score.story for score in named if score.weight == best]
        if len(leaders) == 1:
            return TopicMatch(leaders[0], [])
        ranked = sorted((score for score in scores if score.weight), key=lambda score: -score.weight)
        partial = [score.story for score in ranked]
    others = [story for story in sorted(candidates, key=likeness, reverse=True) if story not in partial]
    return TopicMatch(None, partial + others[: max(0, CLOSEST_COUNT - len(partial))])


def search_stories(query: str, stories: Iterable[StoryTemplate] | None = None) -> list[StoryTemplate]:
    """Every story any of whose names or tags the query matches, best first (the gallery's search box)."""
    candidates = list(stories) if stories is not None else list_templates()
    key = name_key(query)
    if not _content(key):
        return candidates
    ranked = sorted(_scores(key, candidates), key=lambda score: (not score.exact, -score.weight))
    return [score.story for score in ranked if score.weight]
