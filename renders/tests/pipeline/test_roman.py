"""Roman Hindi: the project's schwa rule on top of indic_transliteration, and the hi-Latn subtitle files."""

from __future__ import annotations

import pytest

from conftest import tiny_plan_data
from renders.pipeline import roman
from renders.pipeline.context import Cue, Narration, SceneNarration
from renders.pipeline.plan import parse_plan
from renders.pipeline.subtitles import parse_srt, parse_vtt, write_subtitle_files

# Common devotional words and names, with the spelling a Hindi speaker types.
DEVOTIONAL = {
    "कमल": "kamal",
    "प्रह्लाद": "prahlad",
    "नरसिंह": "narsingh",
    "ध्रुव": "dhruv",
    "भगवान": "bhagwan",
    "गंगा": "ganga",
    "शिव": "shiv",
    "कृष्ण": "krishna",
    "राम": "ram",
    "हनुमान": "hanuman",
    "विष्णु": "vishnu",
    "भक्ति": "bhakti",
    "श्रद्धा": "shraddha",
    "क्षमा": "kshama",
    "ज्ञान": "gyan",
    "सीता": "sita",
    "राधा": "radha",
    "गणेश": "ganesh",
    "लक्ष्मी": "lakshmi",
    "पार्वती": "parvati",
    "सरस्वती": "saraswati",
    "नारायण": "narayan",
    "महादेव": "mahadev",
    "रावण": "ravan",
    "लक्ष्मण": "lakshman",
    "दशरथ": "dashrath",
    "भरत": "bharat",
    "शबरी": "shabri",
    "कमला": "kamla",
    "तुलसी": "tulsi",
    "अयोध्या": "ayodhya",
    "वृंदावन": "vrindavan",
    "मथुरा": "mathura",
    "यमुना": "yamuna",
    "काशी": "kashi",
    "मंदिर": "mandir",
    "पूजा": "puja",
    "आरती": "arti",
    "भजन": "bhajan",
    "कीर्तन": "kirtan",
    "प्रसाद": "prasad",
    "दर्शन": "darshan",
    "आशीर्वाद": "ashirvad",
    "धर्म": "dharma",
    "कर्म": "karma",
    "मोक्ष": "moksha",
    "वेद": "ved",
    "रामायण": "ramayan",
    "महाभारत": "mahabharat",
    "भागवत": "bhagwat",
    "गीता": "gita",
    "अंजना": "anjana",
    "मंगल": "mangal",
    "नीलकंठ": "nilkanth",
    "शंकर": "shankar",
    "बलराम": "balram",
    "स्वामी": "swami",
    "ईश्वर": "ishwar",
    "प्रभु": "prabhu",
    "नमस्ते": "namaste",
    "गोविंद": "govind",
    "माधव": "madhav",
    "गोपाल": "gopal",
    "शिवलिंग": "shivling",
    "त्रिशूल": "trishul",
    "शंख": "shankh",
    "बांसुरी": "bansuri",
    "ॐ": "om",
    "द्वारका": "dwarka",
    "अहिंसा": "ahinsa",
    "सत्य": "satya",
    "प्रेम": "prem",
    "वाल्मीकि": "valmiki",
    "ऋषि": "rishi",
    "शंभु": "shambhu",
    "दुःख": "dukh",
}


@pytest.mark.parametrize(("word", "expected"), DEVOTIONAL.items())
def test_devotional_words_are_spelled_as_hindi_speakers_write_them(word, expected):
    assert roman.romanize_word(word) == expected


def test_the_table_is_large_enough():
    assert len(DEVOTIONAL) >= 50


@pytest.mark.parametrize(
    ("word", "marked"),
    [
        ("कमल", "कमल्"),  # final schwa
        ("भगवान", "भग्वान्"),  # medial, V C a C V
        ("कृष्ण", "कृष्ण"),  # a final conjunct keeps its schwa
        ("न", "न"),  # a one-akshara word keeps it
        ("सरस्वती", "सरस्वती"),  # not before a conjunct
        ("अंजना", "अंजना"),  # not after a nasal
    ],
)
def test_the_schwa_rule_marks_silent_schwas_with_a_virama(word, marked):
    assert roman.delete_schwas(word) == marked


def test_a_sentence_keeps_punctuation_digits_and_gets_capitals():
    line = roman.romanize("भगवान नरसिंह प्रकट हुए, और ध्रुव तारा चमका। प्रह्लाद ने १०८ बार नाम जपा।")
    assert line == "Bhagwan narsingh prakat hue, aur dhruv tara chamka. Prahlad ne 108 bar nam japa."
    assert roman.romanize("Om namah, ॐ!") == "Om namah, om!"


def _narration(sentences: list[Cue]) -> Narration:
    return Narration((SceneNarration(0, None, 3.0, 4.0, tuple(sentences)),))


def test_a_hindi_plan_gets_roman_subtitle_files_timed_like_the_devanagari(tmp_path):
    plan = parse_plan(
        tiny_plan_data(language="hi", scenes=[{"image_prompt": "p", "narration": "x", "duration_sec": 4}])
    )
    narration = _narration([Cue(0.4, 1.8, "प्रह्लाद ने प्रार्थना की।"), Cue(2.0, 3.4, "भगवान प्रकट हुए।")])
    files, _ = write_subtitle_files(plan, narration, tmp_path)
    assert set(files) == {"hi", "hi-Latn"}
    assert files["hi-Latn"]["srt"].name == "hi-Latn.srt"
    devanagari = parse_srt(files["hi"]["srt"].read_text(encoding="utf-8"))
    latin = parse_srt(files["hi-Latn"]["srt"].read_text(encoding="utf-8"))
    assert [(cue.start, cue.end) for cue in latin] == [(cue.start, cue.end) for cue in devanagari]
    assert [cue.text for cue in latin] == ["Prahlad ne prarthana ki.", "Bhagwan prakat hue."]
    assert [cue.text for cue in parse_vtt(files["hi-Latn"]["vtt"].read_text())] == [cue.text for cue in latin]
    assert all(cue.text.isascii() for cue in latin)


def test_an_english_plan_gets_no_roman_file(tmp_path):
    plan = parse_plan(tiny_plan_data(scenes=[{"image_prompt": "p", "narration": "x", "duration_sec": 4}]))
    files, _ = write_subtitle_files(plan, _narration([Cue(0.4, 1.8, "Prahlad prayed.")]), tmp_path)
    assert set(files) == {"en"}
