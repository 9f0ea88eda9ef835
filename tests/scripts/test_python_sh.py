"""scripts/python.sh picks the newest supported Python, says why, and refuses clearly when none fits."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "python.sh"


def supported_in_script() -> list[str]:
    match = re.search(r"^SUPPORTED=\(([^)]*)\)", SCRIPT.read_text(), re.MULTILINE)
    assert match
    return match.group(1).split()


def fake_python(bin_dir: Path, name: str, version: str | None) -> Path:
    """An executable that answers the version question like a Python of `version`; None: a broken shim."""
    path = bin_dir / name
    body = f'echo "{version}"' if version else 'echo "pyenv: python3.13: command not found" >&2; exit 127'
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def run(bin_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """The script with only bin_dir (fake Pythons, no pyenv) and the shell tools it uses on PATH."""
    tools = bin_dir.parent / "tools"
    tools.mkdir(exist_ok=True)
    for tool in ("bash", "sort", "awk", "cut", "ls"):
        if not (tools / tool).exists():
            (tools / tool).symlink_to(shutil.which(tool))
    env = {**os.environ, "PATH": f"{bin_dir}:{tools}"}
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30)


def test_it_declares_the_same_versions_as_pyproject():
    requires = SpecifierSet(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"])
    assert supported_in_script() == ["3.13", "3.12", "3.11"]
    assert all(f"{version}.0" in requires for version in supported_in_script())
    assert "3.10.14" not in requires
    assert "3.14.0" not in requires
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in supported_in_script()


def test_it_picks_the_newest_supported_python_passing_over_a_broken_shim(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_python(bin_dir, "python3.13", None)
    newest = fake_python(bin_dir, "python3.12", "3.12")
    oldest = fake_python(bin_dir, "python3.11", "3.11")
    fake_python(bin_dir, "python3", "3.10")

    result = run(bin_dir, "pick")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(newest)
    assert f"using Python 3.12 ({newest}): the newest supported one found" in result.stderr

    other = run(bin_dir, "other", "3.12")
    assert other.stdout.strip() == str(oldest)


def test_it_refuses_an_unsupported_python_named_by_python(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    old = fake_python(bin_dir, "python3", "3.10")

    result = run(bin_dir, "pick", str(old))
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"PYTHON={old} is Python 3.10; Bhakti needs Python 3.13 3.12 3.11" in result.stderr


def test_it_says_what_it_found_when_no_python_fits(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    old = fake_python(bin_dir, "python3", "3.10")

    result = run(bin_dir, "pick")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no supported Python found: Bhakti needs Python 3.13 3.12 3.11" in result.stderr
    assert f"{old} is Python 3.10" in result.stderr
    assert run(bin_dir, "other", "3.10").returncode == 1
