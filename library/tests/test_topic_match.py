"""Finding the library story a topic names, in either script and any common spelling."""

from __future__ import annotations

import pytest

from library.stories import StoryTemplate, get_template, list_templates, template_from_data
from library.topic_match import match_topic, name_key, search_stories, story_names


def _story(
    story_id: str, title_en: str, aliases_en: list[str], aliases_hi: list[str], tags: tuple[str, ...] = ("x",)
) -> StoryTemplate:
    scene = {
        "image_prompt": "a river",
        "narration_en": "A river flows.",
        "narration_hi": "नदी बहती है।",
        "short_en": "A river.",
        "short_hi": "नदी।",
        "duration_sec": 8,
    }
    return template_from_data(
        {
            "id": story_id,
            "title_en": title_en,
            "title_hi": "कथा",
            "description_en": "A story.",
            "description_hi": "एक कथा।",
            "style": "watercolor",
            "music": "bells",
            "tags": ["x"],
            "aliases_en": aliases_en,
            "aliases_hi": aliases_hi,
            "scenes": [scene] * 6,
        }  # fmt: skip
    )


# Three stories about Krishna, so "Krishna" alone names none of them.
GOVARDHAN = _story("govardhan", "Krishna Lifts Govardhan Hill", ["Govardhan", "Govardhana", "Krishna"], ["गोवर्धन"])
KALIYA = _story("kaliya", "Krishna and the Serpent Kaliya", ["Kaliya", "Kaliya Mardan", "Krishna"], ["कालिया"])
SUDAMA = get_template("sudama")
KRISHNA_STORIES = [GOVARDHAN, KALIYA, SUDAMA]


@pytest.mark.parametrize(
    "topic",
    [
        "prahlad", "Prahlada", "Prahlaad", "PRAHLAD", "Prahalad", "Prahalaad", "Pralhād", "  prahlad  ",
        "प्रह्लाद", "प्रहलाद", "भक्त प्रह्लाद की कथा", "Narasimha", "Narsimha", "Narsingh", "narasingha",
        "नरसिंह", "नृसिंह", "Holika", "Holika Dahan", "होलिका दहन", "the story of Prahlad for kids",
        "Prahlad and Lord Narasimha", "भक्त प्रह्लाद और भगवान नरसिंह", "prahlad!", "Hiranyakashyap",
    ],
)  # fmt: skip
def test_it_finds_prahlad_by_any_of_his_names_in_either_script(topic: str) -> None:
    found = match_topic(topic)

    assert found.story is not None and found.story.id == "prahlad", (topic, found)
    assert found.closest == []


@pytest.mark.parametrize(
    ("topic", "story_id"),
    [
        ("Dhruv", "dhruva"), ("ध्रुव", "dhruva"), ("the pole star", "dhruva"), ("ध्रुव तारा", "dhruva"),
        ("Ganga", "ganga-avatar"), ("Gangā avataran", "ganga-avatar"), ("गंगावतरण", "ganga-avatar"),
        ("Bhagiratha", "ganga-avatar"), ("ganga-avatar", "ganga-avatar"), ("Sabri", "shabari"),
        ("शबरी के बेर", "shabari"), ("Kuchela", "sudama"), ("सुदामा", "sudama"), ("Sudaama", "sudama"),
    ],
)  # fmt: skip
def test_it_finds_the_other_stories_by_id_title_and_alias(topic: str, story_id: str) -> None:
    assert match_topic(topic).story == get_template(story_id)


def test_it_folds_spelling_variants_to_one_key() -> None:
    assert name_key("Prahlaada") == name_key("prahlad") == name_key("PRAHLAD") == name_key("Prahlād")
    assert name_key("Shabari") == name_key("Sabari")
    assert name_key("Dhruva") == name_key("dhruv")
    assert name_key("Sudaama") == name_key("sudama")
    assert name_key("प्रह्लाद") == name_key("प्रहलाद")
    assert name_key("गीता") == name_key("गिता")
    assert name_key("Krishna-Sudama") == name_key("krishna  sudama")
    # Different names stay different.
    assert name_key("Rama") != name_key("Rudra")
    assert name_key("गंगा") != name_key("गगन")


def test_it_answers_no_story_for_a_name_several_stories_share_and_lists_them() -> None:
    found = match_topic("Krishna", KRISHNA_STORIES)

    assert found.story is None
    assert {story.id for story in found.closest} == {"govardhan", "kaliya", "sudama"}


def test_it_picks_the_story_that_accounts_for_most_of_the_topic() -> None:
    assert match_topic("Krishna lifting Govardhan", KRISHNA_STORIES).story == GOVARDHAN
    assert match_topic("krishna and sudama", KRISHNA_STORIES).story == SUDAMA
    assert match_topic("कालिया", KRISHNA_STORIES).story == KALIYA
    assert match_topic("Kaliya Mardan", KRISHNA_STORIES).story == KALIYA


@pytest.mark.parametrize("topic", ["Odysseus and the Cyclops", "quarterly sales report", "", "story", "कथा"])
def test_it_suggests_the_closest_stories_when_nothing_matches(topic: str) -> None:
    found = match_topic(topic)

    assert found.story is None
    assert len(found.closest) == 3
    assert len({story.id for story in found.closest}) == 3


def test_it_suggests_the_story_whose_name_is_nearest_a_misspelling() -> None:
    # Too short for the fuzzy word match, but nearest of all names.
    found = match_topic("Dhruba")

    assert found.story is None
    assert found.closest[0].id == "dhruva"


def test_every_storys_own_names_find_it_or_list_it_among_the_candidates() -> None:
    """Covers every story file, so a new story's alias that another story shares shows up here."""
    for story in list_templates():
        for name in story_names(story):
            found = match_topic(name)
            assert found.story == story or (found.story is None and story in found.closest), (story.id, name)
        # The id and both titles are the story's own: they must find it outright.
        for name in (story.id, story.title_en, story.title_hi):
            assert match_topic(name).story == story, (story.id, name)


def test_it_searches_the_gallery_by_any_name_best_first() -> None:
    assert [story.id for story in search_stories("नरसिंह")] == ["prahlad"]
    assert search_stories("krishna", KRISHNA_STORIES) == KRISHNA_STORIES
    assert search_stories("krishna govardhan", KRISHNA_STORIES)[0] == GOVARDHAN
    assert search_stories("Odysseus") == []
    assert search_stories("  ") == list_templates()


def test_a_word_that_differs_only_in_its_ending_is_another_word() -> None:
    # "Parvat" (a mountain) in a name must not make a story about Parvati.
    found = match_topic(
        "Parvati's tapasya", KRISHNA_STORIES + [_story("hill", "The Hill", ["Govardhan Parvat"], ["पर्वत"])]
    )

    assert found.story is None


def test_a_name_several_stories_hold_by_title_or_tag_names_none_of_them() -> None:
    # Rama is in one story's title and a tag of the others: the title alone does not make it Ahilya's.
    ahilya = _story("ahilya", "Ahilya Freed by Lord Rama", ["Ahilya"], ["अहिल्या"], tags=("rama",))
    stories = [ahilya, get_template("shabari"), get_template("sudama")]

    found = match_topic("Rama", stories)

    assert found.story is None
    assert {story.id for story in found.closest[:2]} == {"ahilya", "shabari"}  # both hold "rama"
    assert match_topic("Ahilya and Rama", stories).story == ahilya


def test_a_word_only_one_story_names_beats_a_tag_of_another() -> None:
    # "love" is a tag of Shabari's story; "Sudama" names only his.
    assert "love" in get_template("shabari").tags

    assert match_topic("Sudama's love for Krishna").story == get_template("sudama")


def test_a_tag_alone_suggests_its_story_but_does_not_name_it() -> None:
    found = match_topic("Rama's mercy", [get_template("shabari"), get_template("sudama"), get_template("dhruva")])

    assert found.story is None
    assert found.closest[0].id == "shabari"  # tagged rama
