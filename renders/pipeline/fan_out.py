"""One job's segments rendered by many workers through the shared segment cache. No Django here.

The job's own worker (the owner) writes a manifest of the video segments still missing, each as
its cache key and the ffmpeg arguments that make it, into the shared cache, and asks for helpers
(`Callbacks.fan_out`: in Django, tasks for the other clusters, renders/fan_out.py). Owner and
helpers then run the same loop: take the next segment that is neither in the cache nor claimed,
claim it, render it into the cache, release the claim. The owner renders too, so a job finishes
whether or not any helper comes; when nothing is left to claim it waits for the segments others
hold, then joins them as before. A segment's bytes depend only on its arguments, so the video is
byte-identical to a single worker's render of the same plan.

A claim is a file created with O_EXCL in `<cache>/fan-out/claims/`, holding its holder's name
(`host:pid:run`). Its holder touches it every CLAIM_REFRESH_SEC while ffmpeg runs (the piece's
heartbeat); a claim untouched for CLAIM_LEASE_SEC, or one whose holder process is gone from this
host, is stale and taken over: a dead worker's segments are rendered again elsewhere within the
lease. Taking over renames the stale file away first (only one taker's rename succeeds), then
creates a fresh one with O_EXCL. Should two workers ever render one segment (a holder too busy to
touch its claim for a whole lease), both write identical bytes and the cache's last rename wins.

Preconditions across machines: the cache directory and the job's work directory (stills,
subtitle scripts, overlay) are on one shared volume, mounted at the same path on every worker,
and the workers' clocks agree to within a few seconds (claims age by mtime).
"""

from __future__ import annotations

import json
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from renders.pipeline.context import Canceled

CLAIM_LEASE_SEC = 20.0
CLAIM_REFRESH_SEC = 4.0
# How often a worker with nothing to claim looks again for segments others finished or dropped.
WAIT_POLL_SEC = 0.25
FAN_OUT_DIR = "fan-out"
Item = TypeVar("Item")  # a segment to render: the owner's SegmentJob, a helper's too


def holder_name() -> str:
    """A fresh name for one run's claims: host, process and a random part (threads share it)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class SharedSegment:
    """What a helper needs to render one video segment: its cache entry and its ffmpeg arguments."""

    label: str
    frames: int
    key: str
    suffix: str
    args: list[str]  # without the output path
    mmap_threshold: int = 0  # the ffmpeg's malloc mmap threshold (0: ffmpeg.MALLOC_TUNABLES's)
    # Files its args read that whoever renders it first makes, each (path, the ffmpeg arguments
    # writing it without the output path): a final's prepared stills (compose.PreparedStill).
    stills: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "label": self.label, "frames": self.frames, "key": self.key, "suffix": self.suffix, "args": self.args,
            "mmap_threshold": self.mmap_threshold,
            "stills": [{"path": path, "args": list(args)} for path, args in self.stills],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SharedSegment:
        args = data["args"]
        frames = data["frames"]
        if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args) or not isinstance(frames, int):
            raise ValueError("a fan-out manifest's segment needs a list of string args and an int frame count")
        threshold = data.get("mmap_threshold", 0)  # absent in a manifest from before it was written
        if not isinstance(threshold, int):
            raise ValueError("a fan-out manifest's segment mmap_threshold must be an int")
        listed = data.get("stills", [])  # absent in a manifest from before stills were prepared
        if not isinstance(listed, list):
            raise ValueError("a fan-out manifest's segment stills must be a list")
        stills = []
        for still in listed:
            if not isinstance(still, dict):
                raise ValueError("a fan-out manifest's segment stills must be objects with a path and args")
            path, still_args = still.get("path"), still.get("args")
            if not isinstance(path, str) or not isinstance(still_args, list):
                raise ValueError("a fan-out manifest's still needs a path string and a list of args")
            if not all(isinstance(arg, str) for arg in still_args):
                raise ValueError("a fan-out manifest's still args must be strings")
            stills.append((path, tuple(still_args)))
        return cls(str(data["label"]), frames, str(data["key"]), str(data["suffix"]), args, threshold, tuple(stills))


@dataclass(frozen=True)
class Manifest:
    owner: str  # the owner's holder name
    work_dir: str  # the job's work directory (the segments' inputs live there)
    segments: list[SharedSegment]


def manifests_dir(cache_dir: Path) -> Path:
    return cache_dir / FAN_OUT_DIR / "manifests"


def claims_dir(cache_dir: Path) -> Path:
    return cache_dir / FAN_OUT_DIR / "claims"


def write_manifest(cache_dir: Path, manifest: Manifest) -> Path:
    """Write the manifest atomically; its name (the owner's run) is what helpers are given."""
    folder = manifests_dir(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{manifest.owner.rsplit(':', 1)[-1]}.json"
    data = {
        "owner": manifest.owner,
        "work_dir": manifest.work_dir,
        "segments": [s.to_dict() for s in manifest.segments],
    }
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)
    return path


def read_manifest(cache_dir: Path, name: str) -> Manifest | None:
    """The manifest called `name` (a plain file name), or None once its owner has finished."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"not a manifest name: {name!r}")
    try:
        data = json.loads((manifests_dir(cache_dir) / name).read_text())
    except FileNotFoundError:
        return None
    segments = [SharedSegment.from_dict(item) for item in data["segments"]]
    return Manifest(str(data["owner"]), str(data["work_dir"]), segments)


class Claims:
    """The claims one run holds, touched by a background thread while it holds any."""

    def __init__(self, cache_dir: Path, holder: str, *, lease_sec: float | None = None):
        self.folder = claims_dir(cache_dir)
        self.holder = holder
        self.lease_sec = CLAIM_LEASE_SEC if lease_sec is None else lease_sec
        self._held: set[Path] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._toucher: threading.Thread | None = None

    def path(self, key: str, suffix: str) -> Path:
        return self.folder / f"{key}{suffix}.claim"

    def acquire(self, key: str, suffix: str) -> bool:
        """Claim the segment; False while another live holder has it."""
        path = self.path(key, suffix)
        self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(2):  # a stale claim is moved away once, then created afresh
            try:
                descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if not self._take_over_if_stale(path):
                    return False
                continue
            with os.fdopen(descriptor, "w") as handle:
                handle.write(self.holder)
            with self._lock:
                self._held.add(path)
            self._start_toucher()
            return True
        return False

    def release(self, key: str, suffix: str) -> None:
        self._release_path(self.path(key, suffix))

    def _release_path(self, path: Path) -> None:
        with self._lock:
            self._held.discard(path)
        try:
            if path.read_text() == self.holder:  # taken over meanwhile: the new holder's now
                path.unlink()
        except FileNotFoundError:
            pass

    def _take_over_if_stale(self, path: Path) -> bool:
        try:
            holder = path.read_text()
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            return True  # released meanwhile: try to create it again
        if not is_stale(holder, age, self.lease_sec):
            return False
        tomb = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.stale")
        try:
            os.rename(path, tomb)
        except FileNotFoundError:
            return True  # another taker moved it first; the O_EXCL create decides between us
        tomb.unlink(missing_ok=True)
        return True

    def _start_toucher(self) -> None:
        with self._lock:
            if self._toucher is None:
                self._toucher = threading.Thread(target=self._touch_forever, name="fan-out-claims", daemon=True)
                self._toucher.start()

    def _touch_forever(self) -> None:
        while not self._stop.wait(min(CLAIM_REFRESH_SEC, self.lease_sec / 4)):
            with self._lock:
                held = list(self._held)
            for path in held:
                try:
                    os.utime(path)
                except FileNotFoundError:
                    pass

    def close(self) -> None:
        """Release every claim still held and stop touching them."""
        with self._lock:
            held = list(self._held)
        for path in held:
            self._release_path(path)
        self._stop.set()
        if self._toucher is not None:
            self._toucher.join(timeout=5)


def is_stale(holder: str, age_sec: float, lease_sec: float) -> bool:
    """A claim is stale when untouched for a lease, or at once when its process is gone from this host."""
    if age_sec > lease_sec:
        return True
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host == socket.gethostname() and pid_text.isdigit():
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return False


def sweep(cache_dir: Path, *, manifest_max_age_sec: float) -> int:
    """Delete claims stale for ten leases and manifests older than `manifest_max_age_sec` (a
    worker died before cleaning up). Returns how many files it deleted."""
    now, deleted = time.time(), 0
    for folder, limit in (
        (claims_dir(cache_dir), 10 * CLAIM_LEASE_SEC),
        (manifests_dir(cache_dir), manifest_max_age_sec),
    ):
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            try:
                if now - path.stat().st_mtime > limit:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:
                continue
    return deleted


class _Board(Generic[Item]):
    """Which of the run's segments are done, being rendered here, or still to take (under a lock)."""

    def __init__(self, items: Sequence[Item], key_of: Callable[[Item], tuple[str, str]], claims: Claims,
                 present: Callable[[Item], Path | None]) -> None:  # fmt: skip
        self.pending = list(items)
        self.key_of = key_of
        self.claims = claims
        self.present = present
        self.lock = threading.Lock()
        self.finished: queue.SimpleQueue[tuple[Item, bool]] = queue.SimpleQueue()  # (item, rendered here)

    def take(self) -> Item | None:
        """The next item this worker should render, claimed; None when none is free now."""
        with self.lock:
            for item in list(self.pending):
                if self.present(item) is not None:
                    self.pending.remove(item)
                    self.finished.put((item, False))
                    continue
                key, suffix = self.key_of(item)
                if self.claims.acquire(key, suffix):
                    if self.present(item) is not None:  # finished between the look and the claim
                        self.claims.release(key, suffix)
                        self.pending.remove(item)
                        self.finished.put((item, False))
                        continue
                    self.pending.remove(item)
                    return item
            return None

    def put_back(self, item: Item) -> None:
        with self.lock:
            self.pending.insert(0, item)

    def empty(self) -> bool:
        with self.lock:
            return not self.pending


def render_claimed(
    items: Sequence[Item],
    *,
    key_of: Callable[[Item], tuple[str, str]],
    present: Callable[[Item], Path | None],
    render: Callable[[Item, threading.Event], None],
    claims: Claims,
    threads: int,
    is_canceled: Callable[[], bool],
    on_finished: Callable[[Item, bool], None] = lambda item, rendered_here: None,
    report: Callable[[], None] = lambda: None,
    until_all_present: bool = True,
    give_up_on_error: bool = False,
) -> None:
    """Render `items` (in the order given) on `threads` threads, each item only after claiming it.

    `present(item)` is its cache entry or None. With `until_all_present`, returns once every item
    is present (the owner: it waits for what others hold and takes over their stale claims);
    otherwise once nothing is left to claim (a helper). Only the calling thread calls
    `is_canceled`, `on_finished` (item, rendered by this run) and `report`. A render's failure is
    raised here and stops the others; with `give_up_on_error` (a helper) it only stops this run,
    the owner renders that segment itself.
    """
    if not items:
        return
    board = _Board(items, key_of, claims, present)
    abort = threading.Event()
    errors: queue.SimpleQueue[BaseException] = queue.SimpleQueue()

    def work() -> None:
        while not abort.is_set():
            item = board.take()
            if item is None:
                if board.empty() or not until_all_present:
                    return
                abort.wait(WAIT_POLL_SEC)
                continue
            key, suffix = key_of(item)
            try:
                render(item, abort)
            except BaseException as error:  # noqa: BLE001 - handed to the calling thread, which decides
                board.put_back(item)
                errors.put(error)
                return
            finally:
                claims.release(key, suffix)
            board.finished.put((item, True))

    pool = [threading.Thread(target=work, name=f"fan-out-{index}", daemon=True) for index in range(max(1, threads))]
    for thread in pool:
        thread.start()
    try:
        while True:
            while not board.finished.empty():
                on_finished(*board.finished.get())
            if not errors.empty():
                error = errors.get()
                if give_up_on_error:
                    return
                raise error
            if not any(thread.is_alive() for thread in pool):
                while not board.finished.empty():
                    on_finished(*board.finished.get())
                return
            if is_canceled():
                raise Canceled()
            report()
            time.sleep(WAIT_POLL_SEC / 2)
    finally:
        abort.set()
        for thread in pool:
            thread.join()
        claims.close()
