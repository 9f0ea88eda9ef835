"""The MCP server end to end, driven by the `mcp` SDK's own client over both transports.

Real processes share one SQLite file (pytest-django's database lives inside this process's
transaction, so subprocesses could not see it): `manage.py mcp --http` (Streamable HTTP),
`manage.py mcp` on stdio (spawned by the SDK's client), a `run_workers` cluster that renders the
jobs, and `runserver` for the API's download URLs the tools hand out. alice and bob are creators
with an API key each.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextResourceContents

from conftest import tiny_plan_data

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.processes]

TOOLS = {
    "list_stories", "draft_plan", "create_video", "get_video", "cancel_video", "list_videos",
    "schedule_youtube_publish",
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited early:\n{log.read_text()[-3000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listened on {port}:\n{log.read_text()[-3000:]}")


@dataclass
class Site:
    """Bhakti's processes on one SQLite file, and the keys of its two users."""

    env: dict[str, str]
    work: Path
    site_url: str = ""
    mcp_url: str = ""
    keys: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen] = field(default_factory=list)

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = self.work / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def serve(self, name: str, *args: str, port: int) -> None:
        _wait_for_port(port, self.start(name, *args), self.work / f"{name}.log")

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.work.glob("*.log"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("mcp")
    web_port, mcp_port = _free_port(), _free_port()
    # Local storage and memory caches: the processes share the SQLite file and nothing else.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "S3_", "BHAKTI_TEST")) and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bhakti.settings",
        BHAKTI_DATA_DIR=str(work / "data"),
        SQLITE_PATH=str(work / "mcp.sqlite3"),
        MEDIA_ROOT=str(work / "media"),
        RENDER_WORK_DIR=str(work / "work"),
        RENDER_CACHE_DIR=str(work / "cache"),
        PROXY_SHORT_SIDE="96",
        RENDER_PARALLELISM="1",
        RENDER_WORKERS="1",
        SITE_URL=f"http://127.0.0.1:{web_port}",
        SECURE_SSL_REDIRECT="0",
        OPENAI_API_KEY="",  # offline: a topic is told from the library
        LOG_LEVEL="WARNING",
    )
    built = Site(env=env, work=work, site_url=env["SITE_URL"], mcp_url=f"http://127.0.0.1:{mcp_port}/mcp")
    built.manage("migrate", "--noinput", "-v", "0")
    code = (
        "import json\n"
        "from django.contrib.auth.models import User\n"
        "from accounts.services import api_key_create\n"
        "keys = {name: api_key_create(user=User.objects.create_user(name), name='assistant')[1]"
        " for name in ('alice', 'bob')}\n"
        "print(json.dumps(keys))\n"
    )
    built.keys = json.loads(built.manage("shell", "-c", code).strip().splitlines()[-1])
    built.start("worker", "run_workers")
    built.serve("web", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{web_port}", port=web_port)
    built.serve("mcp-http", "mcp", "--http", f"127.0.0.1:{mcp_port}", port=mcp_port)
    yield built
    for process in built.processes:
        process.terminate()
    for process in built.processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@asynccontextmanager
async def over_http(site: Site, who: str, *, key: str | None = None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {key or site.keys[who]}"}
    async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
        async with Client(streamable_http_client(site.mcp_url, http_client=http)) as client:
            yield client


def over_stdio(site: Site, who: str) -> Client:
    env = {**site.env, "BHAKTI_API_KEY": site.keys[who]}
    return Client(StdioServerParameters(command=sys.executable, args=["manage.py", "mcp"], env=env, cwd=str(REPO)))


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    anyio.run(scenario)


def data(result: CallToolResult) -> dict[str, Any]:
    # The text content is the same JSON as the structured content, for clients that read only text.
    assert result.structured_content == json.loads(result.content[0].text)  # type: ignore[union-attr]
    assert result.structured_content is not None
    return result.structured_content


def ok(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    return data(result)


def refused(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error, result.content
    return data(result)


async def render_to_the_end(client: Client, job_id: str, site: Site, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    steps = set()
    while time.monotonic() < deadline:
        video = ok(await client.call_tool("get_video", {"job_id": job_id}))
        steps.add(video["step"])
        if video["is_final"]:
            return video
        await anyio.sleep(0.5)
    raise AssertionError(f"not final after {timeout} s (steps seen {steps}):\n{site.logs()}")


def fetch(site: Site, url: str, who: str) -> httpx.Response:
    assert url.startswith(site.site_url + "/api/v1/renders/"), url
    return httpx.get(url, headers={"Authorization": f"Bearer {site.keys[who]}"}, timeout=30)


def test_it_renders_a_story_over_http_for_its_owner_only(site):
    async def scenario() -> None:
        async with over_http(site, "alice") as alice, over_http(site, "bob") as bob:
            tools = {tool.name: tool for tool in (await alice.list_tools()).tools}
            assert set(tools) == TOOLS
            assert tools["create_video"].input_schema["properties"]["aspect"]["anyOf"][0]["enum"] == [
                "16:9", "9:16", "1:1",
            ]  # fmt: skip
            assert "story_id" in tools["draft_plan"].input_schema["properties"]
            stories = ok(await alice.call_tool("list_stories", {}))
            assert "prahlad" in {story["id"] for story in stories["results"]}

            created = ok(
                await alice.call_tool(
                    "create_video",
                    {"story_id": "prahlad", "duration_sec": 12, "mode": "proxy", "aspect": "9:16"},
                )
            )
            job_id = created["job_id"]
            assert created["state"] == "queued"

            # bob's tools never see alice's video: not found, as on the API, and not in his list.
            other = refused(await bob.call_tool("get_video", {"job_id": job_id}))
            assert other["code"] == "not_found"
            assert refused(await bob.call_tool("cancel_video", {"job_id": job_id}))["code"] == "not_found"
            assert ok(await bob.call_tool("list_videos", {}))["count"] == 0
            with pytest.raises(MCPError) as bobs_view:
                await bob.read_resource(f"bhakti://videos/{job_id}/files")
            assert json.loads(bobs_view.value.error.message)["code"] == "not_found"

            video = await render_to_the_end(alice, job_id, site)
            assert video["state"] == "succeeded", video["error"]
            assert video["progress_pct"] == 100
            listed = ok(await alice.call_tool("list_videos", {"state": "succeeded"}))
            assert [summary["id"] for summary in listed["results"]] == [job_id]

            files = await alice.read_resource(f"bhakti://videos/{job_id}/files")
            content = files.contents[0]
            assert isinstance(content, TextResourceContents)
            described = json.loads(content.text)
            assert described["final_video_url"] == video["final_video_url"]
            assert {"video", "thumbnail", "srt", "vtt"} <= {file["kind"] for file in described["files"]}

            response = await anyio.to_thread.run_sync(fetch, site, video["final_video_url"], "alice")
            assert response.status_code == 200
            assert response.content[4:8] == b"ftyp"  # an MP4
            assert (await anyio.to_thread.run_sync(fetch, site, video["final_video_url"], "bob")).status_code == 404

    run(scenario)


def test_it_renders_a_plan_over_stdio_with_the_key_from_the_environment(site):
    async def scenario() -> None:
        async with over_stdio(site, "alice") as alice:
            assert {tool.name for tool in (await alice.list_tools()).tools} == TOOLS
            prompt = await alice.get_prompt("devotional_short", {"topic": "Ganga"})
            assert "Ganga" in prompt.messages[0].content.text  # type: ignore[union-attr]

            drafted = ok(await alice.call_tool("draft_plan", {"topic": "Prahlad", "duration_sec": 20}))
            assert drafted["source"] == "library" and drafted["story_id"] == "prahlad"

            plan = tiny_plan_data(music="none", scenes=tiny_plan_data()["scenes"][:1])
            job_id = ok(await alice.call_tool("create_video", {"plan": plan}))["job_id"]
            video = await render_to_the_end(alice, job_id, site)
            assert video["state"] == "succeeded", video["error"]
            response = await anyio.to_thread.run_sync(fetch, site, video["final_video_url"], "alice")
            assert response.status_code == 200 and response.content[4:8] == b"ftyp"

            # Finished: nothing to cancel, with the API's code.
            assert refused(await alice.call_tool("cancel_video", {"job_id": job_id}))["code"] == "not_cancelable"

    run(scenario)


def test_it_refuses_a_missing_or_bad_key_over_http_with_401(site):
    missing = httpx.post(site.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, timeout=10)
    assert missing.status_code == 401
    assert missing.json()["code"] == "not_authenticated"
    assert missing.headers["www-authenticate"].startswith("Bearer")
    bad = httpx.post(
        site.mcp_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Authorization": "Bearer bk_not-a-key"},
        timeout=10,
    )
    assert bad.status_code == 401
    assert bad.json()["code"] == "invalid_api_key"

    async def scenario() -> None:
        # The SDK's client gets no further than its first request (it reports the 401 as an MCPError).
        with pytest.raises(ExceptionGroup) as raised:
            async with over_http(site, "alice", key="bk_nope") as client:
                await client.list_tools()
        assert raised.group_contains(MCPError, match="error response")

    run(scenario)
    trail = site.manage(
        "shell",
        "-c",
        "from accounts.models import AuditEvent; print(AuditEvent.objects.filter(action='auth_failed').count())",
    )
    assert int(trail.strip().splitlines()[-1]) >= 2  # the two bad keys (the missing one is not an attempt)


def test_it_will_not_start_on_stdio_without_a_valid_key(site):
    for key in ("", "bk_not-a-key"):
        result = subprocess.run(
            [sys.executable, "manage.py", "mcp"],
            cwd=REPO,
            env={**site.env, "BHAKTI_API_KEY": key},
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode != 0
        assert "BHAKTI_API_KEY" in result.stderr
        assert result.stdout == ""  # stdout belongs to the protocol


def test_it_answers_with_the_apis_error_codes(site):
    async def scenario() -> None:
        async with over_http(site, "bob") as bob:
            bad_plan = tiny_plan_data(scenes=[])
            invalid = refused(await bob.call_tool("create_video", {"plan": bad_plan}))
            assert invalid["code"] == "invalid_plan" and "scenes" in invalid["errors"]
            both = refused(await bob.call_tool("create_video", {"topic": "Prahlad", "story_id": "prahlad"}))
            assert both["code"] == "invalid"
            unknown = refused(await bob.call_tool("draft_plan", {"story_id": "no-such-story"}))
            assert unknown["code"] == "unknown_template"
            nothing = refused(await bob.call_tool("draft_plan", {"topic": "quantum chromodynamics"}))
            assert nothing["code"] == "topic_not_found" and nothing["closest"]
            malformed = refused(await bob.call_tool("get_video", {"job_id": "not-a-uuid"}))
            assert malformed["code"] == "not_found"
            publish = refused(
                await bob.call_tool(
                    "schedule_youtube_publish",
                    {"job_id": "00000000-0000-0000-0000-000000000000", "title": "x", "made_for_kids": False},
                )
            )
            assert publish["code"] == "not_found"

    run(scenario)
