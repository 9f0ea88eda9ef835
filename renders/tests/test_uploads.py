"""renders.uploads: which names count as a creator's own upload."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from renders.uploads import is_own_upload, store_image_upload

pytestmark = pytest.mark.django_db


def test_it_accepts_the_names_stored_uploads_really_get(alice, bob):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    stored = store_image_upload(owner=alice, upload=buffer, extension="png")
    renamed = stored.replace(".png", "_Ab3dE9x.png")  # a storage's own suffix when a name is taken
    assert is_own_upload(owner=alice, name=stored) and is_own_upload(owner=alice, name=renamed)
    assert not is_own_upload(owner=bob, name=stored)
    assert not is_own_upload(owner=alice, name=None)
