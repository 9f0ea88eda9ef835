"""The live stream's playlist and pieces: the worker stores pieces, the owner's player reads them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from renders.execution import _JobReporter, delete_live_pieces
from renders.live_views import hls_playlist
from renders.models import AssetKind, JobAsset, JobState
from renders.selectors import job_files
from renders.tests.test_views import make_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(alice):
    return make_job(alice, state=JobState.RUNNING)


def _store_piece(job, index: int, seconds: float, tmp_path: Path) -> bytes:
    data = f"piece {index} ".encode() * 50
    path = tmp_path / f"{index}.ts"
    path.write_bytes(data)
    _JobReporter(job).live_piece(index, path, seconds)  # what the worker calls for each piece
    return data


def _playlist(client, job) -> tuple[str, object]:
    response = client.get(reverse("renders:live_playlist", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode(), response


def _entries(text: str) -> list[tuple[str, str]]:
    lines = text.splitlines()
    return [(line, lines[number + 1]) for number, line in enumerate(lines) if line.startswith("#EXTINF:")]


def test_it_grows_piece_by_piece_and_ends_when_the_job_is_final(client, alice, running, tmp_path):
    client.force_login(alice)
    text, response = _playlist(client, running)
    assert response["Content-Type"] == "application/vnd.apple.mpegurl"
    assert text.startswith("#EXTM3U\n") and "#EXT-X-PLAYLIST-TYPE:EVENT" in text
    assert _entries(text) == [] and "#EXT-X-ENDLIST" not in text

    first = _store_piece(running, 0, 2.5, tmp_path)
    text, _ = _playlist(client, running)
    assert _entries(text) == [("#EXTINF:2.500000,", reverse("renders:live_piece", args=[running.pk, 0]))]
    assert "#EXT-X-TARGETDURATION:3" in text and "#EXT-X-ENDLIST" not in text

    _store_piece(running, 1, 4.2, tmp_path)
    text, _ = _playlist(client, running)
    assert [duration for duration, _ in _entries(text)] == ["#EXTINF:2.500000,", "#EXTINF:4.200000,"]
    assert "#EXT-X-TARGETDURATION:5" in text and "#EXT-X-ENDLIST" not in text

    piece = client.get(reverse("renders:live_piece", args=[running.pk, 0]))
    assert piece.status_code == 200 and b"".join(piece.streaming_content) == first
    assert piece["Content-Type"] == "video/mp2t"

    running.state = JobState.FAILED
    running.save(update_fields=["state"])
    text, _ = _playlist(client, running)
    assert len(_entries(text)) == 2 and text.endswith("#EXT-X-ENDLIST\n")


def test_neither_the_playlist_nor_a_piece_is_stored_by_the_browser(client, alice, running, tmp_path):
    client.force_login(alice)
    _store_piece(running, 0, 1.0, tmp_path)
    _, playlist = _playlist(client, running)
    piece = client.get(reverse("renders:live_piece", args=[running.pk, 0]))
    ranged = client.get(reverse("renders:live_piece", args=[running.pk, 0]), headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206
    assert playlist["Cache-Control"] == piece["Cache-Control"] == ranged["Cache-Control"] == "no-store"


def test_another_users_job_has_no_live_stream(client, alice, bob, running, tmp_path):
    _store_piece(running, 0, 1.0, tmp_path)
    client.force_login(bob)
    assert client.get(reverse("renders:live_playlist", args=[running.pk])).status_code == 404
    assert client.get(reverse("renders:live_piece", args=[running.pk, 0])).status_code == 404
    client.logout()
    playlist = client.get(reverse("renders:live_playlist", args=[running.pk]))
    assert playlist.status_code == 302 and "/login" in playlist["Location"]


def test_a_missing_piece_is_a_404_and_the_playlist_stops_at_a_gap(client, alice, running, tmp_path):
    client.force_login(alice)
    _store_piece(running, 0, 1.0, tmp_path)
    _store_piece(running, 2, 1.0, tmp_path)  # a retry storing its pieces again, 1 not yet there
    text, _ = _playlist(client, running)
    assert len(_entries(text)) == 1
    assert client.get(reverse("renders:live_piece", args=[running.pk, 1])).status_code == 404


def test_a_retry_replaces_a_piece_in_place(client, alice, running, tmp_path):
    client.force_login(alice)
    _store_piece(running, 0, 1.0, tmp_path)
    _store_piece(running, 0, 1.5, tmp_path)
    assert JobAsset.objects.filter(job=running, kind=AssetKind.LIVE_PIECE).count() == 1
    text, _ = _playlist(client, running)
    assert [duration for duration, _ in _entries(text)] == ["#EXTINF:1.500000,"]


def test_the_pieces_and_their_files_go_once_the_video_is_stored(alice, running, tmp_path):
    _store_piece(running, 0, 1.0, tmp_path)
    asset = JobAsset.objects.get(job=running, kind=AssetKind.LIVE_PIECE)
    storage, name = asset.file.storage, asset.file.name
    assert storage.exists(name)
    delete_live_pieces(running)
    assert not JobAsset.objects.filter(job=running, kind=AssetKind.LIVE_PIECE).exists()
    assert not storage.exists(name)


def test_the_playlist_text_lists_pieces_in_order():
    text = hls_playlist(pieces=[("/a.ts", 0.4), ("/b.ts", 1.0)], ended=True)
    assert text == (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXTINF:0.400000,\n/a.ts\n#EXTINF:1.000000,\n/b.ts\n#EXT-X-ENDLIST\n"
    )


def test_the_pieces_are_not_among_the_files_the_page_and_the_api_list(client, alice, running, tmp_path):
    _store_piece(running, 0, 1.0, tmp_path)
    assert [asset.kind for asset in job_files(job=running)] == []
    client.force_login(alice)
    page = client.get(reverse("renders:job_status", args=[running.pk])).content.decode()
    assert reverse("renders:live_playlist", args=[running.pk]) in page  # the page's player reads the stream
    assert "live_0000" not in page
