#!/usr/bin/env bash
# The whole suite. Called by `make test`, which .ci/run calls.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

run_pytest() {
    "$PY" -m pytest "$@"
    local rc=$?
    # pytest exits 5 when it collected no tests: treat that as a failure to notice, not a pass.
    if [ "$rc" -eq 5 ]; then
        echo "pytest collected no tests" >&2
        return 1
    fi
    return "$rc"
}

export BHAKTI_DATA_DIR="${BHAKTI_DATA_DIR:-$(mktemp -d)}"
echo "== suite on the embedded default (SQLite, local media)"
run_pytest -n "${TEST_WORKERS:-2}" -q "$@"
