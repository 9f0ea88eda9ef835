"""Media on S3: files round-trip, and download links are presigned for the public address."""

from __future__ import annotations

import urllib.request
from urllib.parse import parse_qsl, urlparse

from django.core.files.base import ContentFile

from bhakti.storage import PresignedS3Storage


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # 127.0.0.1 only: the stand-in
        return response.status, response.read()


def test_it_stores_files_and_hands_out_working_presigned_links(s3_storage):
    name = s3_storage.save("jobs/abc/video.mp4", ContentFile(b"not really an mp4"))
    again = s3_storage.save("jobs/abc/video.mp4", ContentFile(b"a second render"))
    assert again != name  # file_overwrite is off: a retry never clobbers a file a link points at
    url = s3_storage.url(name)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=" in url
    assert fetch(url) == (200, b"not really an mp4")
    s3_storage.delete(name)
    assert not s3_storage.exists(name)


def test_it_signs_links_for_the_public_address_when_one_is_set(s3_storage, s3_endpoint):
    name = s3_storage.save("jobs/abc/thumb.jpg", ContentFile(b"jpeg bytes"))
    endpoint = urlparse(s3_endpoint)
    public = f"http://localhost:{endpoint.port}"  # how a browser outside the compose network sees it
    options = {**s3_storage._wrapped.get_default_settings(), **_options(s3_storage)}
    storage = PresignedS3Storage(public_endpoint_url=public, **options)
    url = storage.url(name)
    assert url.startswith(f"{public}/{options['bucket_name']}/jobs/abc/thumb.jpg?")
    assert "127.0.0.1" not in url  # the server-side address never leaks into links
    assert fetch(url) == (200, b"jpeg bytes")
    # SigV4 signs the host: the internal link with its host rewritten carries another signature,
    # which S3 or MinIO would refuse. (moto does not check signatures, so this is shown directly.)
    for _ in range(3):  # both links signed within the same second, so only the host differs
        url, internal = storage.url(name), s3_storage.url(name)
        if _query(url)["X-Amz-Date"] == _query(internal)["X-Amz-Date"]:
            break
    rewritten = internal.replace(f"{endpoint.hostname}:{endpoint.port}", f"localhost:{endpoint.port}")
    assert rewritten.split("?")[0] == url.split("?")[0]
    assert _query(rewritten)["X-Amz-Signature"] != _query(url)["X-Amz-Signature"]


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlparse(url).query))


def _options(storage) -> dict:
    wrapped = storage._wrapped
    names = (
        "bucket_name", "endpoint_url", "access_key", "secret_key", "region_name", "signature_version",
        "addressing_style", "querystring_auth", "file_overwrite", "default_acl",
    )  # fmt: skip
    return {name: getattr(wrapped, name) for name in names}
