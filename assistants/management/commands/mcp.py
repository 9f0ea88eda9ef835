"""`manage.py mcp`: the MCP server for AI assistants, on stdio (default) or Streamable HTTP.

stdio: the assistant starts this command itself; the API key comes from BHAKTI_API_KEY and every
tool runs as its owner. Nothing but the protocol goes to stdout (logs go to stderr).
HTTP (`--http 127.0.0.1:8765`): a long-running server at /mcp; each request brings its own key as
a bearer token (assistants/http.py).
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistants import tools
from assistants.http import serve_http
from assistants.server import build_server

KEY_VARIABLE = "BHAKTI_API_KEY"


def parse_address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"--http takes HOST:PORT, e.g. 127.0.0.1:8765 (got {value!r})")
    return host, int(port)


class Command(BaseCommand):
    help = "Serve Bhakti's MCP tools to an AI assistant: on stdio (API key in BHAKTI_API_KEY) or --http HOST:PORT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--http",
            metavar="HOST:PORT",
            help="Serve Streamable HTTP at http://HOST:PORT/mcp instead of stdio; clients send their API key as "
            "`Authorization: Bearer bk_…`.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["http"]:
            host, port = parse_address(options["http"])
            self.stderr.write(f"Bhakti MCP server on http://{host}:{port}/mcp (API key as a bearer token)")
            serve_http(host=host, port=port)
            return
        self._check_key()
        build_server(key_of=lambda ctx: os.environ.get(KEY_VARIABLE, "").strip()).run("stdio")

    def _check_key(self) -> None:
        """Refuse to start with a missing or unknown key: the assistant shows this message to its person."""
        raw_key = os.environ.get(KEY_VARIABLE, "").strip()
        if not raw_key:
            raise CommandError(f"Set {KEY_VARIABLE} to an API key (Account → API keys) for the stdio MCP server.")
        try:
            tools.authenticate(raw_key)
        except tools.ToolRefused as refused:
            raise CommandError(f"{KEY_VARIABLE}: {refused.body['message']}") from None
