"""Serving a job's files to its owner: local files with byte ranges (so <video> can seek), or a
redirect to a presigned URL when media lives on S3. MEDIA_ROOT is never served publicly."""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Iterator

from django.core.files.storage import Storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils.http import content_disposition_header

CHUNK_BYTES = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _read_span(path: str, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


class RangeNotSatisfiable(Exception):
    """A well-formed `bytes=` range that starts past the end of the file (RFC 9110 §15.5.17)."""


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) of a single `bytes=` range, or None to serve it all.

    A header that is not one well-formed range (several ranges, another unit, first > last) is
    ignored, as RFC 9110 allows; a well-formed one that no byte of the file satisfies raises
    RangeNotSatisfiable, so the client learns the size instead of receiving the whole file.
    """
    match = _RANGE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if first:
        start = int(first)
        if last and int(last) < start:
            return None
        if start >= size:
            raise RangeNotSatisfiable
        end = min(int(last), size - 1) if last else size - 1
    elif last:  # a suffix: the last N bytes
        if int(last) == 0 or size == 0:
            raise RangeNotSatisfiable
        start, end = max(0, size - int(last)), size - 1
    else:
        return None
    return start, end


def serve_stored_file(
    request: HttpRequest, storage: Storage, name: str, *, filename: str, as_attachment: bool = False
) -> HttpResponse | StreamingHttpResponse | FileResponse:
    """The stored file `name` as a download (or inline), `filename` being what the browser saves it as."""
    try:
        path = storage.path(name)
    except NotImplementedError:
        # Remote storage (S3): the browser fetches the bytes itself with a short-lived signed link.
        parameters = {"ResponseContentDisposition": content_disposition_header(as_attachment, filename)}
        return HttpResponseRedirect(storage.url(name, parameters=parameters))
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    size = os.path.getsize(path)
    try:
        span = _byte_range(request.headers.get("Range", ""), size)
    except RangeNotSatisfiable:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        refused["Accept-Ranges"] = "bytes"
        return refused
    if span is None:
        response: HttpResponse | StreamingHttpResponse | FileResponse = FileResponse(
            open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
            as_attachment=as_attachment,
            filename=filename,
            content_type=content_type,
        )
    else:
        start, end = span
        response = StreamingHttpResponse(
            _read_span(path, start, end - start + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
        if disposition := content_disposition_header(as_attachment, filename):
            response["Content-Disposition"] = disposition
    response["Accept-Ranges"] = "bytes"
    # The URL names one stored file (an asset id), so the browser may keep it; only for this user.
    response["Cache-Control"] = "private, max-age=86400"
    return response
