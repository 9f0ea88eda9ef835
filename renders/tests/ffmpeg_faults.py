"""A stand-in for the ffmpeg binary that crashes on chosen H.264 encodes, for retry tests.

imageio-ffmpeg honours IMAGEIO_FFMPEG_EXE, so the stand-in sits exactly where the real binary
does, for this process and for worker clusters alike. It counts the encodes that name libx264
(the scene and fade segments) and kills itself with SIGSEGV on the listed ones, as a crashing
ffmpeg would; every other call runs the real ffmpeg with the same arguments.
"""

from __future__ import annotations

import stat
from pathlib import Path

import imageio_ffmpeg

SCRIPT = """#!/bin/bash
case " $* " in
  *" libx264 "*)
    count=$(( $(cat "{state}/encodes" 2>/dev/null || echo 0) + 1 ))
    echo "$count" > "{state}/encodes"
    if [ -f "{state}/crash_always" ] || grep -qx "$count" "{state}/crash_on" 2>/dev/null; then
      kill -SEGV $$
    fi
    ;;
esac
exec "{real}" "$@"
"""


def crashing_ffmpeg(directory: Path, *, crash_on: tuple[int, ...] = (), always: bool = False) -> Path:
    """Write the stand-in into `directory` and return its path (set IMAGEIO_FFMPEG_EXE to it).

    `crash_on`: the 1-based numbers of the libx264 encodes that crash; `always`: every one does.
    Encodes must run one at a time (RENDER_PARALLELISM=1) for the count to be exact.
    """
    directory.mkdir(parents=True, exist_ok=True)
    real = imageio_ffmpeg.get_ffmpeg_exe()
    (directory / "crash_on").write_text("".join(f"{number}\n" for number in crash_on))
    if always:
        (directory / "crash_always").touch()
    script = directory / "ffmpeg"
    script.write_text(SCRIPT.format(state=directory, real=real))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def encodes_run(directory: Path) -> int:
    path = directory / "encodes"
    return int(path.read_text()) if path.exists() else 0
