"""Reading a prompt: the things the offline painter knows how to paint, and the words that ask for them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from renders.pipeline.images import ART_DIRECTION_MARKER

# What the painter can paint, and the words that ask for it. An English keyword matches a word
# exactly, with a plural ending, or as a prefix when it is 5+ letters long; Hindi likewise.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "night": ("night", "midnight", "moon", "moonlight", "moonlit", "star", "starry", "stars", "dark",
              "रात", "रात्रि", "चाँद", "चांद", "चंद्र", "चन्द्र", "चंद्रमा", "तारे", "तारों", "अंधेरा", "अंधकार"),
    "dawn": ("dawn", "sunrise", "morning", "daybreak", "सुबह", "भोर", "प्रभात", "सूर्योदय", "प्रातः"),
    "dusk": ("dusk", "sunset", "evening", "twilight", "शाम", "संध्या", "सांझ", "सूर्यास्त", "गोधूलि"),
    "day": ("day", "noon", "sunny", "daylight", "दिन", "दोपहर", "धूप"),
    "water": ("river", "ganga", "ganges", "water", "lake", "pond", "sea", "ocean", "yamuna", "ghat", "shore",
              "bank", "flood", "stream", "wave", "waves", "boat", "fish", "narmada",
              "नदी", "गंगा", "जल", "पानी", "सागर", "समुद्र", "यमुना", "घाट", "तट", "किनारे", "सरोवर", "तालाब", "नाव", "लहर"),
    "fire": ("fire", "flame", "flames", "holika", "bonfire", "pyre", "blaze", "burning", "burn", "agni", "holi",
             "altar", "yajna", "havan",
             "आग", "अग्नि", "ज्वाला", "होलिका", "होली", "लपटें", "लपट", "जलती", "चिता"),
    "mountains": ("mountain", "himalaya", "himalayas", "peak", "peaks", "kailash", "hill", "hills", "summit",
                  "snow", "glacier", "gangotri",
                  "पर्वत", "पहाड़", "हिमालय", "कैलाश", "शिखर", "हिम", "बर्फ", "गंगोत्री", "पहाड़ों"),
    "forest": ("forest", "tree", "trees", "jungle", "woods", "grove", "banyan", "peepal", "garden", "vrindavan",
               "जंगल", "वन", "पेड़", "वृक्ष", "बरगद", "पीपल", "उपवन", "बगीचा", "वृंदावन", "कानन"),
    "temple": ("temple", "shrine", "shikhara", "mandir", "kashi", "varanasi", "tirtha", "ashram",
               "मंदिर", "मन्दिर", "देवालय", "शिवालय", "काशी", "वाराणसी", "आश्रम", "तीर्थ"),
    "palace": ("palace", "court", "throne", "fort", "kingdom", "darbar", "city", "ayodhya", "lanka", "hall", "gate",
               "gates", "pillar", "dwarka", "chittor",
               "महल", "राजमहल", "दरबार", "सिंहासन", "किला", "राज्य", "नगर", "अयोध्या", "लंका"),
    "lotus": ("lotus", "lotuses", "flower", "flowers", "kamal", "padma", "bloom",
              "कमल", "पद्म", "फूल", "पुष्प"),
    "clouds": ("cloud", "clouds", "sky", "heaven", "heavens", "monsoon", "storm", "rain", "lightning", "thunder", "rainbow",
               "बादल", "मेघ", "आकाश", "आसमान", "स्वर्ग", "वर्षा", "बारिश"),
    "lamps": ("lamp", "lamps", "diya", "diyas", "aarti", "arti", "deepak", "diwali", "candle", "torch", "torches",
              "दीप", "दीया", "दिया", "दीपक", "आरती", "दिवाली", "दीपावली"),
    "child": ("child", "boy", "girl", "son", "prahlad", "prahlada", "kid", "young", "dhruva", "baby",
              "बालक", "बच्चा", "बच्चे", "प्रह्लाद", "पुत्र", "बेटा", "बालिका", "ध्रुव", "बाल"),
    "sage": ("sage", "sages", "rishi", "saint", "hermit", "yogi", "ascetic", "monk", "guru", "narada", "devotee",
             "bhagiratha", "priest", "meditating", "meditation", "pilgrim", "vishwamitra", "kapila", "matanga",
             "gautama", "valmiki", "sandipani", "shukracharya", "brahmin",
             "ऋषि", "मुनि", "साधु", "संत", "योगी", "तपस्वी", "गुरु", "नारद", "भक्त", "भगीरथ", "पुजारी", "तपस्या", "ध्यान"),
    "king": ("king", "kings", "raja", "emperor", "prince", "hiranyakashipu", "ruler", "royal", "ravana", "bhagirath",
             "harishchandra", "uttanapada", "bali", "mahabali",
             "राजा", "सम्राट", "राजकुमार", "हिरण्यकशिपु", "हिरण्यकश्यप", "रावण", "नरेश"),
    "demon": ("demon", "demons", "asura", "rakshasa", "monster", "evil",
              "राक्षस", "असुर", "दैत्य", "दानव"),
    "deity": ("god", "goddess", "lord", "deity", "divine", "vishnu", "krishna", "shiva", "rama", "ram", "narasimha",
              "hanuman", "durga", "lakshmi", "ganesha", "devi", "bhagwan", "avatar", "ganga devi", "brahma", "parvati",
              "indra", "yama", "kartikeya", "mohini", "dhanvantari", "kurma", "vamana", "trivikrama", "balarama",
              "भगवान", "देवी", "देवता", "ईश्वर", "प्रभु", "विष्णु", "कृष्ण", "शिव", "राम", "नरसिंह", "नृसिंह",
              "हनुमान", "दुर्गा", "लक्ष्मी", "गणेश", "अवतार", "महादेव", "श्रीहरि", "हरि"),
    "woman": ("woman", "women", "mother", "queen", "maiden", "sita", "radha", "mira", "meera", "holika", "wife", "wives",
              "sister", "shabari", "suruchi", "suniti", "rukmini", "yashoda", "ahilya", "taramati", "aditi", "gopi", "gopis",
              "होलिका", "स्त्री", "महिला", "माता", "माँ", "मां", "रानी", "सीता", "राधा", "मीरा"),
    # Men who are not kings, sages or gods: fathers, brothers, friends, villagers, warriors.
    "man": ("man", "men", "father", "brother", "husband", "friend", "friends", "villager", "villagers", "people",
            "crowd", "cowherd", "cowherds", "warrior", "warriors", "physician", "guard", "guards", "courtiers",
            "sudama", "lakshmana", "nanda",
            "पिता", "भाई", "पति", "मित्र", "गांववाले", "लोग", "सैनिक", "सुदामा", "लक्ष्मण"),
    # Things of the library's stories: Dhruva's pole star, Ganga falling from the heavens, the
    # cows of Vrindavan, Indra's and Gajendra's elephants, Kaliya and Shiva's serpents.
    "star": ("pole star", "polestar", "dhruva tara", "glowing star", "shining star", "bright star", "star in the",
             "ध्रुव तारा", "तारा"),
    "descent": ("river of light", "falling from the heaven", "falling from heaven", "descending from the heaven",
                "descends from the heaven", "descent of ganga", "ganga descend", "pouring from the sky",
                "falling from the sky", "stream of light", "column of light",
                "स्वर्ग से", "आकाश से", "अवतरण"),
    "cow": ("cow", "cows", "calf", "calves", "cattle", "kamadhenu", "nandi", "bull", "herd",
            "गाय", "गौ", "गायें", "बछड़ा", "नंदी", "कामधेनु"),
    "elephant": ("elephant", "elephants", "gajendra", "airavata", "tusker", "हाथी", "गज", "गजेंद्र", "ऐरावत"),
    "hut": ("hut", "huts", "village", "villages", "cottage", "thatched", "झोपड़ी", "कुटिया", "कुटी", "गांव", "गाँव"),
    "birds": ("bird", "birds", "parrot", "parrots", "swan", "swans", "crane", "cranes", "dove", "doves", "flock",
              "पक्षी", "चिड़िया", "चिड़ियाँ", "तोता", "हंस"),
    "deer": ("deer", "fawn", "antelope", "animals", "हिरण", "मृग"),
    "horse": ("horse", "horses", "steed", "घोड़ा", "घोड़े", "अश्व"),
    "halo": ("halo", "haloes", "halos", "aura", "प्रभामंडल", "आभा"),
    "veena": ("veena", "vina", "वीणा"),
    "serpent": ("serpent", "snake", "snakes", "naga", "nagas", "kaliya", "vasuki", "shesha", "cobra",
                "सर्प", "साँप", "सांप", "नाग", "कालिया", "वासुकी", "शेषनाग"),
}  # fmt: skip

# The symbol that identifies a deity, in place of a face: the one whose word a prompt names first.
DEITY_SYMBOLS: dict[str, tuple[str, ...]] = {
    "trishul": ("shiva", "mahadev", "shankar", "bholenath", "trident", "trishul", "linga", "rudra",
                "शिव", "महादेव", "शंकर", "त्रिशूल", "भोलेनाथ", "रुद्र"),
    "flute": ("krishna", "govinda", "gopala", "kanha", "flute", "murali", "कृष्ण", "कान्हा", "गोविंद", "बांसुरी", "मुरली"),
    "mace": ("hanuman", "mace", "gada", "bajrang", "हनुमान", "गदा", "बजरंग"),
    "conch": ("vishnu", "narayana", "hari", "conch", "discus", "chakra", "sudarshana", "vamana", "trivikrama", "narasimha", "rama", "ram",
              "विष्णु", "नारायण", "शंख", "वामन", "नरसिंह", "राम", "हरि", "श्रीहरि"),
    "lotus": ("lakshmi", "saraswati", "ganga", "goddess", "devi", "brahma", "durga", "parvati",
              "लक्ष्मी", "सरस्वती", "गंगा", "देवी", "ब्रह्मा", "दुर्गा", "पार्वती"),
}  # fmt: skip

FIGURE_KINDS = ("deity", "king", "demon", "sage", "woman", "child", "man")
SCENE_ELEMENTS = ("water", "fire", "mountains", "forest", "temple", "palace", "lotus", "clouds", "lamps",
                  "star", "descent", "cow", "elephant", "serpent", "hut", "birds", "deer", "horse", "halo", "veena")  # fmt: skip


@dataclass(frozen=True)
class SceneSpec:
    """What a prompt asks for, as far as this painter understands it."""

    time_of_day: str
    elements: frozenset[str]
    figures: tuple[str, ...] = field(default=())
    symbol: str = ""  # the deity's symbol (DEITY_SYMBOLS), when the scene has a deity


def subject_of(prompt: str) -> str:
    """The creator's words, without the art direction `images.styled_prompt` appended."""
    return prompt.split(ART_DIRECTION_MARKER, 1)[0]


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+|[\u0900-\u097f]+", text.lower())


def _matches(tokens: Sequence[str], text: str, keyword: str) -> bool:
    if " " in keyword:
        return keyword in text
    long_enough = len(keyword) >= 5 if keyword.isascii() else len(keyword) >= 3
    for token in tokens:
        if token == keyword or token in (keyword + "s", keyword + "es"):
            return True
        if long_enough and token.startswith(keyword):
            return True
    return False


def found_keywords(prompt: str) -> list[str]:
    """The painter's elements a prompt mentions, in KEYWORDS order."""
    text = subject_of(prompt).lower()
    tokens = _tokens(text)
    return [name for name, words in KEYWORDS.items() if any(_matches(tokens, text, word) for word in words)]


def deity_symbol(prompt: str) -> str:
    """The symbol identifying the prompt's deity (trishul, flute, mace, conch, lotus); "" if none named.

    The word named first wins: "Vishnu ... holding conch, discus, mace and lotus" is Vishnu's conch.
    """
    text = subject_of(prompt).lower()
    tokens = _tokens(text)
    for index in range(len(tokens)):
        for symbol, words in DEITY_SYMBOLS.items():
            if any(_matches(tokens[index : index + 1], text, word) for word in words if " " not in word):
                return symbol
    return ""


def recognised(prompt: str) -> dict[str, object]:
    """What the painter understood in a prompt: for reports and for checking the library's prompts."""
    found = found_keywords(prompt)
    symbol = deity_symbol(prompt) if "deity" in found else ""
    return {
        "time": next((name for name in ("night", "dusk", "dawn", "day") if name in found), ""),
        "elements": [name for name in found if name in SCENE_ELEMENTS],
        "figures": [name for name in found if name in FIGURE_KINDS],
        "symbol": symbol,
    }


def read_scene(prompt: str, rng: np.random.Generator) -> SceneSpec:
    found = found_keywords(prompt)
    times = [name for name in ("night", "dusk", "dawn", "day") if name in found]
    if times:
        time_of_day = times[0]
    elif "fire" in found:
        time_of_day = "night" if rng.random() < 0.6 else "dusk"
    else:
        time_of_day = str(rng.choice(["dawn", "day", "dusk", "day", "dawn"]))
    elements = {name for name in found if name in SCENE_ELEMENTS}
    figures = [kind for kind in FIGURE_KINDS if kind in found]
    if not elements:
        # Nothing recognisable: a calm devotional landscape, different for every prompt.
        pool = ["mountains", "water", "forest", "temple", "clouds", "lotus"]
        count = int(rng.integers(2, 4))
        elements = {str(name) for name in rng.choice(pool, size=count, replace=False)}
    if "lotus" in elements:
        elements.add("water")
    if time_of_day != "night" and "clouds" not in elements and rng.random() < 0.55:
        elements.add("clouds")
    if "star" in elements and not times:
        time_of_day = "night"  # a glowing star is seen at night
    if "descent" in elements:
        elements.add("clouds")  # the light falls from an opening in the clouds
    symbol = deity_symbol(prompt) if "deity" in figures else ""
    return SceneSpec(time_of_day=time_of_day, elements=frozenset(elements), figures=tuple(figures[:4]), symbol=symbol)
