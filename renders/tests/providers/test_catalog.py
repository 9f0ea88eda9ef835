"""The shutdown table against the pinned openai SDK's own "Deprecated values" texts."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path
from typing import get_args

import openai
import pytest
from django.conf import settings
from openai.types.audio.speech_model import SpeechModel
from openai.types.image_model import ImageModel
from openai.types.shared.chat_model import ChatModel

from renders.pipeline.providers.catalog import SHUTDOWNS, model_warnings, shutdown_of, voice_warnings

SDK_TYPES = {
    "image": "types/image_model.py",
    "speech": "types/audio/speech_model.py",
    "chat": "types/shared/chat_model.py",
}
MONTHS = {name: number for number, name in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
     "December"], 1)}  # fmt: skip


def sdk_deprecations(relative: str) -> dict[str, dt.date]:
    """model -> date from the docstring under the SDK's Literal type ("Deprecated values: - "a", "b": ...")."""
    tree = ast.parse((Path(openai.__file__).parent / relative).read_text())
    texts = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    ]
    (text,) = [text for text in texts if "Deprecated values:" in text]
    found: dict[str, dt.date] = {}
    for bullet in re.split(r"\n- ", "\n" + text.split("Deprecated values:", 1)[1].strip()):
        bullet = " ".join(bullet.split())
        head, _, rest = bullet.partition('":')
        if iso := re.search(r"\d{4}-\d{2}-\d{2}", rest):
            date = dt.date.fromisoformat(iso.group())
        elif spelled := re.search(r"([A-Z][a-z]+) (\d{1,2}), (\d{4})", rest):
            date = dt.date(int(spelled[3]), MONTHS[spelled[1]], int(spelled[2]))
        else:
            continue  # e.g. "Not a supported model ID": no date to keep
        for model in re.findall(r'"([^"]+)"', head + '"'):
            found[model] = date
    return found


@pytest.mark.parametrize("kind", sorted(SDK_TYPES))
def test_it_holds_every_shutdown_the_sdk_names_with_the_same_date(kind):
    sdk = sdk_deprecations(SDK_TYPES[kind])
    assert sdk, "the SDK's docstring could not be read"
    ours = {model: shutdown.date for model, shutdown in SHUTDOWNS[kind].items() if model in sdk}
    assert ours == sdk


def test_the_sdk_text_for_the_image_default_names_it():
    source = (Path(openai.__file__).parent / "resources/images.py").read_text()
    assert "gpt-image-1` was shut down on October 23, 2026. Use `gpt-image-2.5-sunburst` or\n" in source
    assert "`gpt-image-2.5-flare` instead." in source


@pytest.mark.parametrize(
    ("kind", "setting", "known"),
    [("image", "OPENAI_IMAGE_MODEL", ImageModel), ("chat", "OPENAI_CHAT_MODEL", ChatModel),
     ("speech", "OPENAI_TTS_MODEL", SpeechModel)],
)  # fmt: skip
def test_the_defaults_are_models_the_sdk_lists_and_none_is_shut_down(kind, setting, known):
    model = getattr(settings, setting)
    assert model in get_args(known)
    shutdown = shutdown_of(kind, model)
    if kind == "speech":  # every Speech API model has an announced date; the default must still work today
        assert shutdown is not None and shutdown.date > dt.date(2026, 12, 3)
    else:
        assert shutdown is None


def test_it_words_a_shut_down_and_an_announced_model():
    lines = model_warnings(
        [("OPENAI_IMAGE_MODEL", "image", "gpt-image-1"), ("OPENAI_CHAT_MODEL", "chat", "gpt-4o-mini"),
         ("OPENAI_CHAT_MODEL", "chat", "gpt-6-luna")],
        dt.date(2026, 12, 3),
    )  # fmt: skip
    assert lines == [
        "OPENAI_IMAGE_MODEL=gpt-image-1: gpt-image-1 was shut down on 2026-10-23; use gpt-image-2.5-flare or "
        "gpt-image-2.5-sunburst",
        "OPENAI_CHAT_MODEL=gpt-4o-mini: gpt-4o-mini shuts down on 2027-01-14 (announced); move to gpt-6-luna",
    ]


def test_it_names_retired_voices():
    assert voice_warnings(
        "ELEVENLABS_VOICES", {"en-female": "21m00Tcm4TlvDq8ikWAM", "en-male": "JBFqnCBsd6RMkjVDRZzb"}
    ) == [
        "ELEVENLABS_VOICES en-female=21m00Tcm4TlvDq8ikWAM: Rachel, retired in 2026 (the API answers 404); pick a "
        "current voice"
    ]
