"""The MCP server over Streamable HTTP (`manage.py mcp --http HOST:PORT`), its own process.

Every HTTP request must carry an API key (`Authorization: Bearer bk_…`, or `X-API-Key` as the API
accepts); one without a valid key is refused with 401 before the MCP layer sees it, recorded in
the audit trail (when a key was presented) and counted against the address, as the API does, so a
guesser is refused with 429 for the rest of the window. The tools read the key from the request
again (`key_from_request`), so each call runs as the key's owner.

Stateless and JSON responses: any number of these processes can sit behind a load balancer, no
session lives in memory, and a restart drops nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import uvicorn
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.http import HttpRequest
from mcp.server.mcpserver import Context
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from accounts import address_limits, audit
from assistants import tools
from assistants.server import build_server

MCP_PATH = "/mcp"
FAILURE_SCOPE = "api-key-failures"  # the API's counter: guesses at either door add up


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key the client sent, or None (the API's rule: X-API-Key, else a bearer token)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    if "x-api-key" in lowered:
        return lowered["x-api-key"].strip()
    scheme, _, credentials = lowered.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def key_from_request(ctx: Context) -> str | None:
    headers = ctx.headers
    return presented_key(headers) if headers is not None else None


def _django_request(scope: Scope, headers: Headers) -> HttpRequest:
    """Enough of a Django request for the address counters and the audit trail (address, path)."""
    request = HttpRequest()
    request.method = scope.get("method", "")
    request.path = scope.get("path", "")
    client = scope.get("client")
    request.META["REMOTE_ADDR"] = client[0] if client else ""
    if "x-forwarded-for" in headers:
        request.META["HTTP_X_FORWARDED_FOR"] = headers["x-forwarded-for"]
    return request


def refusal(scope: Scope) -> tuple[int, dict[str, Any]] | None:
    """(status, API error body) when this request may not pass; None when its key is valid."""
    headers = Headers(scope=scope)
    raw_key = presented_key(headers)
    if raw_key is None:
        message = "Send your API key as `Authorization: Bearer bk_…` (create one under Account → API keys)."
        return 401, {"code": "not_authenticated", "message": message}
    request = _django_request(scope, headers)
    window = settings.API_KEY_FAILURE_WINDOW_SEC
    close_old_connections()
    try:
        wait = address_limits.wait_if_over(
            scope=FAILURE_SCOPE, request=request, limit=settings.API_KEY_FAILURES_PER_WINDOW, window_sec=window
        )
        if wait is not None:
            audit.record(audit.Action.RATE_LIMITED, request=request, detail=f"MCP {request.method} {request.path}")
            message = (
                f"Too many requests from this address presented an API key that is not valid; try again in {wait} s."
            )
            return 429, {"code": "throttled", "message": message, "retry_after": wait}
        try:
            tools.authenticate(raw_key)
        except tools.ToolRefused as refused:
            address_limits.count(scope=FAILURE_SCOPE, request=request, window_sec=window)
            audit.record(audit.Action.AUTH_FAILED, request=request, detail=f"MCP {request.method} {request.path}")
            return 401, refused.body
        return None
    finally:
        close_old_connections()


class ApiKeyGate:
    """ASGI middleware: every HTTP request authenticated by its API key, else 401 (or 429) as JSON."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the lifespan events start and stop the MCP session manager
            await self.app(scope, receive, send)
            return
        refused = await sync_to_async(refusal, thread_sensitive=False)(scope)
        if refused is None:
            await self.app(scope, receive, send)
            return
        status, body = refused
        headers = [(b"content-type", b"application/json")]
        if status == 401:
            headers.append((b"www-authenticate", b'Bearer realm="mcp"'))
        else:
            headers.append((b"retry-after", str(body["retry_after"]).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})


def http_app(*, host: str) -> ASGIApp:
    server = build_server(key_of=key_from_request)
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, stateless_http=True, json_response=True, host=host)
    return ApiKeyGate(app)


def serve_http(*, host: str, port: int) -> None:
    config = uvicorn.Config(http_app(host=host), host=host, port=port, log_config=None, lifespan="on")
    uvicorn.Server(config).run()
