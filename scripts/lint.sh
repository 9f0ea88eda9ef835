#!/usr/bin/env bash
# Style and types: `ruff check`, `ruff format --check` and mypy (through scripts/mypy_ratchet.py:
# strict modules clean, no file above its count in mypy-baseline.json). `make lint` runs this, and
# scripts/test.sh runs it before the suite, so CI fails fast on a style or type error. The import
# contracts are a test in the suite (tests/test_architecture.py). Stops at the first failing step.
# `--only ruff` or `--only mypy` runs one half (scripts/test.sh runs ruff first, then mypy beside
# the first test pass).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
started=$SECONDS
only=""
if [ "${1:-}" = "--only" ]; then only="${2:-}"; fi

fail() {
    echo "lint failed: $1" >&2
    exit 1
}

if [ "$only" != "mypy" ]; then
    "$BIN/ruff" check --quiet . \
        || fail "ruff check found the problems above (\`$BIN/ruff check --fix .\` fixes many of them)"
    "$BIN/ruff" format --check --quiet . \
        || fail "the files above are not formatted: run \`$BIN/ruff format .\`"
fi
ruff_done=$SECONDS
if [ "$only" != "ruff" ]; then
    "$BIN/python" scripts/mypy_ratchet.py || fail "mypy (scripts/mypy_ratchet.py), see above"
fi
echo "== lint${only:+ ($only)}: ruff $((ruff_done - started)) s, mypy $((SECONDS - ruff_done)) s"
