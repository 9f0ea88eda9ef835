"""The shared machinery of the stand-ins: a threaded HTTP server, request log, scripted faults."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering, as a dropped network does

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})})


class StandinServer:
    """Subclasses implement `route(request) -> Reply`. Use as a context manager or start()/stop()."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._scripted: list[tuple[str, str, deque[Reply]]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Recorded(
                    method=self.command,
                    path=parts.path,
                    query={key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()},
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=body,
                )
                reply = owner.dispatch(request)
                if reply.drop:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=type(self).__name__, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StandinServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def script(self, path_contains: str, reply: Reply, times: int = 1, method: str = "") -> None:
        """Answer the next `times` requests whose path contains `path_contains` with `reply`."""
        with self._lock:
            self._scripted.append((method.upper(), path_contains, deque([reply] * times)))

    def fail(
        self, path_contains: str, status: int, times: int = 1, headers: dict[str, str] | None = None, method: str = ""
    ) -> None:
        body = {"error": {"message": f"stand-in says {status}", "type": "standin_error", "code": status}}
        self.script(path_contains, Reply.json(body, status, headers), times, method)

    def calls(self, path_contains: str, method: str = "") -> list[Recorded]:
        with self._lock:
            return [
                request
                for request in self.requests
                if path_contains in request.path and (not method or request.method == method.upper())
            ]

    def dispatch(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            for method, path_contains, replies in self._scripted:
                if replies and path_contains in request.path and (not method or method == request.method):
                    return replies.popleft()
        try:
            return self.route(request)
        except Exception as error:  # noqa: BLE001 - a stand-in bug should show up as a 500, not a hang
            return Reply.json({"error": {"message": f"stand-in crashed: {error!r}"}}, 500)

    def route(self, request: Recorded) -> Reply:
        raise NotImplementedError
