"""Content-Security-Policy on every response.

The studio's own pages load scripts, styles, fonts and data from this site only: htmx is vendored,
the scene editor is a static file, and templates carry no inline scripts, styles or event
handlers (htmx is told not to inject its indicator styles; see base.html). An injected
<script> or style="" therefore does nothing. Pictures, narration and videos may come from the
media store as well, which is another origin when media is on S3 (presigned links).

The API's documentation pages (Swagger UI, ReDoc, served from drf-spectacular-sidecar) keep
script-src 'self' but need inline styles, data: images and, for ReDoc, a blob: worker.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
API_DOCS_PREFIXES = ("/api/docs/", "/api/redoc/")


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def media_origins() -> list[str]:
    """Origins that presigned media links point at ([] with media on this site's own disk)."""
    storage = settings.STORAGES["default"]
    if not storage["BACKEND"].endswith("S3Storage"):
        return []
    options = storage.get("OPTIONS", {})
    origins = [_origin(options.get("public_endpoint_url")), _origin(options.get("endpoint_url"))]
    if not options.get("endpoint_url"):  # AWS itself, path-style addressing
        region = options.get("region_name") or "us-east-1"
        origins += [f"https://s3.{region}.amazonaws.com", "https://s3.amazonaws.com"]
    return list(dict.fromkeys(origin for origin in origins if origin))


def policy_for(path: str) -> str:
    media = " ".join(media_origins())
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": f"'self' data: blob: {media}".strip(),
        "media-src": f"'self' blob: {media}".strip(),
        "font-src": "'self'",
        # The job page's live preview fetches its stream's pieces itself (hls.js); with media on
        # S3 they are redirects to presigned links there.
        "connect-src": f"'self' {media}".strip(),
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    if path.startswith(API_DOCS_PREFIXES):
        directives["style-src"] = "'self' 'unsafe-inline'"
        directives["worker-src"] = "'self' blob:"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that has none of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy_for(request.path)
        return response
