"""Every error under /api/ is JSON, including the ones Django answers before DRF is reached.

DRF views already answer in the API's error shape (`renders.api.errors`). What reaches a client
past them is Django's own HTML: a 404 for a path no route matches (`/api/v1/publish/<not a
uuid>`), a 405 from a plain view, the 400 of a suspicious request, the 500 page. This middleware
swaps those bodies for `{"code", "message"}`; the status and the headers that matter (Allow,
Retry-After) stay, and a 500 has already been logged and reported by the time it runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase

API_PREFIX = "/api/"

_CODES = {
    400: ("bad_request", "The request is malformed."),
    403: ("permission_denied", "You may not do this."),
    404: ("not_found", "Not found: no API endpoint or object at this address."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("request_too_large", "The request body is too large."),
    416: ("range_not_satisfiable", "The requested byte range starts past the end of the file."),
    500: ("server_error", "The server failed to answer; the error has been logged. Please try again later."),
}


def _is_json(response: HttpResponseBase) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


class JsonApiErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code < 400 or not request.path_info.startswith(API_PREFIX) or _is_json(response):
            return response
        if getattr(response, "streaming", False):
            return response
        code, message = _CODES.get(response.status_code, ("error", "The request could not be answered."))
        if response.status_code not in _CODES and response.status_code >= 500:
            code, message = _CODES[500]
        answer = HttpResponse(
            json.dumps({"code": code, "message": message}),
            status=response.status_code,
            content_type="application/json",
        )
        for header in ("Allow", "Retry-After", "WWW-Authenticate", "Content-Range", "Accept-Ranges"):
            if header in response:
                answer[header] = response[header]
        return answer
