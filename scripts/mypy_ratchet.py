"""mypy over the whole project, held to a ratchet: `make test` and pre-commit run this.

The modules listed in the first `[[tool.mypy.overrides]]` of pyproject.toml (the render pipeline,
the services and selectors) are checked with strict settings and must have no error at all.
Everywhere else, mypy-baseline.json holds the number of errors each file had when the check was
introduced; a file may only go down from it:

- more errors than its baseline (or errors in a file it does not list) fails: fix the new ones;
- fewer errors also fails, until the lower count is written down with
  `scripts/mypy_ratchet.py --update`, so the gain cannot be lost again.

mypy keeps its incremental cache in .mypy_cache (MYPY_CACHE_DIR names another place): a warm
run takes seconds, a cold one (a fresh clone, as in CI) a minute or more. mypy does not notice
every configuration change (a module newly marked ignore_missing_imports leaves stale errors in
its importers), so the cache is emptied whenever the mypy settings or the requirements change.

Usage: scripts/mypy_ratchet.py [--update]
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.json"
ERROR_LINE = re.compile(r"^(?P<path>[^:\s][^:]*\.pyi?):\d+(?::\d+)?: error: ")


def strict_patterns() -> list[str]:
    """The module patterns held to strict settings: the first override block of pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    overrides = config["tool"]["mypy"]["overrides"]
    strict = overrides[0]
    if not strict.get("disallow_untyped_defs"):
        raise SystemExit("mypy_ratchet: the first [[tool.mypy.overrides]] block must be the strict one")
    modules = strict["module"]
    return [modules] if isinstance(modules, str) else list(modules)


def module_of(path: str) -> str:
    dotted = path.removesuffix(".pyi").removesuffix(".py").replace("/", ".")
    return dotted.removesuffix(".__init__")


def is_strict(path: str, patterns: list[str]) -> bool:
    module = module_of(path)
    for pattern in patterns:
        if pattern.endswith(".*"):
            package = pattern[:-2]
            if module == package or module.startswith(package + "."):
                return True
        elif module == pattern:
            return True
    return False


def _configuration_digest() -> str:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    relevant = {key: config.get(key) for key in ("mypy", "django-stubs")}
    digest = hashlib.sha256(json.dumps(relevant, sort_keys=True).encode())
    for name in ("requirements.txt", "requirements-dev.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _fresh_cache_dir() -> Path:
    """The cache directory, emptied first when the settings or requirements it was built with changed."""
    cache_dir = ROOT / os.environ.get("MYPY_CACHE_DIR", ".mypy_cache")
    stamp = cache_dir / "bhakti-configuration.sha256"
    digest = _configuration_digest()
    if not stamp.is_file() or stamp.read_text() != digest:
        shutil.rmtree(cache_dir, ignore_errors=True)
        cache_dir.mkdir(parents=True)
        stamp.write_text(digest)
    return cache_dir


def run_mypy() -> tuple[int, str]:
    cache_dir = _fresh_cache_dir()
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--no-error-summary",
        "--hide-error-context",
        "--cache-dir",
        str(cache_dir),
        ".",
    ]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    return completed.returncode, completed.stdout + completed.stderr


def errors_per_file(output: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in output.splitlines():
        if (match := ERROR_LINE.match(line)) and not Path(match["path"]).is_absolute():
            counts[match["path"]] += 1
    return counts


def main(argv: list[str]) -> int:
    update = argv == ["--update"]
    if argv and not update:
        print(__doc__, file=sys.stderr)
        return 2
    returncode, output = run_mypy()
    if returncode not in (0, 1):  # 2: mypy itself failed (bad configuration, a crash)
        print(output, file=sys.stderr)
        print(f"mypy_ratchet: mypy exited {returncode} (see above)", file=sys.stderr)
        return 1
    counts = errors_per_file(output)
    patterns = strict_patterns()
    strict_errors = [
        line for line in output.splitlines() if (m := ERROR_LINE.match(line)) and is_strict(m["path"], patterns)
    ]
    if strict_errors:
        print("\n".join(strict_errors), file=sys.stderr)
        print(
            f"mypy: {len(strict_errors)} error(s) in strictly typed modules (the pipeline, services, selectors); "
            "these have no baseline: fix them",
            file=sys.stderr,
        )
        return 1
    if update:
        BASELINE.write_text(json.dumps(dict(sorted(counts.items())), indent=1) + "\n")
        print(f"mypy_ratchet: wrote {BASELINE.name}: {sum(counts.values())} errors in {len(counts)} files")
        return 0

    baseline: dict[str, int] = json.loads(BASELINE.read_text())
    grown = {path: n for path, n in counts.items() if n > baseline.get(path, 0)}
    shrunk = {path: n for path, n in baseline.items() if counts.get(path, 0) < n}
    if grown:
        for line in output.splitlines():
            if (m := ERROR_LINE.match(line)) and m["path"] in grown:
                print(line, file=sys.stderr)
        summary = ", ".join(f"{path} {n} (baseline {baseline.get(path, 0)})" for path, n in sorted(grown.items()))
        print(f"mypy: more type errors than mypy-baseline.json allows: {summary}; fix the new ones", file=sys.stderr)
        return 1
    if shrunk:
        summary = ", ".join(f"{path} {counts.get(path, 0)} (baseline {n})" for path, n in sorted(shrunk.items()))
        print(
            f"mypy: fewer type errors than mypy-baseline.json records: {summary}; "
            "run `.venv/bin/python scripts/mypy_ratchet.py --update` and commit mypy-baseline.json",
            file=sys.stderr,
        )
        return 1
    print(f"mypy: no new type errors ({sum(counts.values())} left in {len(counts)} files, none in strict modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
