from __future__ import annotations

import pytest

from renders.pipeline.text import MAX_SENTENCE_CHARS, clean_narration, display_units, split_sentences

HINDI = "प्रह्लाद ने विष्णु की प्रार्थना की। वह निडर था॥ ज़मीन पर ॐ नमः शिवाय। क्‍ष १०८ बार।"


@pytest.mark.parametrize(
    ("raw", "spoken"),
    [
        ("Before\n---\nAfter", "Before. After"),
        ("He prayed to **Vishnu** and __Shiva__.", "He prayed to Vishnu and Shiva."),
        ("An *italic* and _underlined_ word, snake_case stays.", "An italic and underlined word, snake_case stays."),
        ("# The Boy Prahlad\nHe prayed.", "The Boy Prahlad. He prayed."),
        ("> A quoted line.", "A quoted line."),
        ("- first item\n* second item\n1. third item", "first item. second item. third item."),
        ("Read [the story](https://example.org/a_(b)) today.", "Read the story today."),
        ("See https://example.com/x?y=1 and www.example.org now.", "See and now."),
        ("![art](pic.png)Plain text.", "Plain text."),
        ("Jai 🙏🏽 Shri ✨ Ram 👨‍👩‍👧 1️⃣ ☸", "Jai Shri Ram"),
        ("Lots   of\n\tspace", "Lots of space"),
        ('It was 30°C, (truly) "hot" & dry: ₹108!', 'It was 30°C, (truly) "hot" & dry: ₹108!'),
        ("<b>Bold</b> tag", "Bold tag"),
        ("🙏 ---", ""),
    ],
)
def test_it_removes_markup_that_is_never_spoken(raw, spoken):
    assert clean_narration(raw) == spoken


def test_it_keeps_hindi_text_exactly():
    # Vowel signs, virama, nukta, ZWJ in a conjunct, danda, double danda, ॐ and Devanagari digits.
    assert clean_narration(HINDI) == HINDI
    assert clean_narration(f"🙏 **{HINDI}** 🌺") == HINDI


def test_it_ends_a_hindi_heading_with_a_danda():
    assert clean_narration("## होली का त्योहार\nहोली रंगों का त्योहार है।") == "होली का त्योहार। होली रंगों का त्योहार है।"


def test_it_splits_english_sentences_and_keeps_abbreviations_together():
    text = (
        'Mr. Sharma met Dr. Rao at 3.30 p.m. Then they left! Was it late? He said "Go!" and went, '
        "e.g. to the temple. A. P. J. Abdul Kalam spoke."
    )
    assert split_sentences(text, "en") == [
        "Mr. Sharma met Dr. Rao at 3.30 p.m.",
        "Then they left!",
        "Was it late?",
        'He said "Go!" and went, e.g. to the temple.',
        "A. P. J. Abdul Kalam spoke.",
    ]


def test_it_splits_hindi_sentences_at_danda_and_question_marks():
    text = "प्रह्लाद ने विष्णु की प्रार्थना की। वह निडर था॥ क्या यह सच है? हाँ! डॉ. शर्मा आए।"
    assert split_sentences(text, "hi") == [
        "प्रह्लाद ने विष्णु की प्रार्थना की।",
        "वह निडर था॥",
        "क्या यह सच है?",
        "हाँ!",
        "डॉ. शर्मा आए।",
    ]


def test_it_never_returns_empty_sentences():
    assert split_sentences("", "en") == []
    assert split_sentences("Hello... !! World.", "en") == ["Hello...!!", "World."]
    assert all(split_sentences(". . ! ? । ॥ Word.", "hi"))


def test_it_splits_very_long_sentences_at_commas():
    clauses = [f"the devotee sang verse number {index} with a full heart" for index in range(8)]
    sentence = ", ".join(clauses) + "."
    pieces = split_sentences(sentence, "en")
    assert len(pieces) > 1
    assert all(len(piece) <= MAX_SENTENCE_CHARS for piece in pieces)
    assert " ".join(pieces) == sentence
    assert all(piece.endswith((",", ".")) for piece in pieces)


def test_it_counts_devanagari_width_by_clusters():
    assert display_units("Hello") == 5
    assert display_units("प्रार्थना") == 3  # प्रा, र्था, ना
    assert display_units("विष्णु") == 2
