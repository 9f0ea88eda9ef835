#!/usr/bin/env bash
# The whole suite, twice: on the embedded default (SQLite, local memory cache, local media), then
# on the production settings (PostgreSQL, Redis, S3 through a local stand-in, DEBUG off).
# Called by `make test`, which .ci/run calls. Extra arguments go to both pytest runs.
# Set BHAKTI_TEST_PRODUCTION=0 to run only the first pass (e.g. on a laptop without PostgreSQL).
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

# The browser test drives Debian's Chromium (`playwright install` cannot download browsers here).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "== installing chromium for the browser test"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } \
        || echo "could not install chromium; the browser test will fail" >&2
fi

export BHAKTI_DATA_DIR="${BHAKTI_DATA_DIR:-$(mktemp -d)}"
started=$SECONDS
echo "== suite on the embedded default (SQLite, local media)"
run_pytest -n "${TEST_WORKERS:-2}" -q "$@"
embedded_rc=$?
echo "== embedded pass: exit $embedded_rc in $((SECONDS - started)) s"

if [ "${BHAKTI_TEST_PRODUCTION:-1}" = "0" ]; then
    exit "$embedded_rc"
fi

PG_HOST="${TEST_PG_HOST:-127.0.0.1}"
PG_PORT="${TEST_PG_PORT:-5432}"
PG_USER="${TEST_PG_USER:-postgres}"
REDIS="${TEST_REDIS_URL:-redis://127.0.0.1:6379/10}"  # each xdist worker adds its index (conftest.py)

# Fail loudly, not skip, when the services are missing: CI machines have both running.
if ! "$PY" - "$PG_HOST" "$PG_PORT" "$PG_USER" "$REDIS" <<'PYCHECK'
import sys
import psycopg
import redis
host, port, user, redis_url = sys.argv[1:]
psycopg.connect(host=host, port=int(port), user=user, dbname="postgres", connect_timeout=5).close()
redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
PYCHECK
then
    echo "PostgreSQL at $PG_HOST:$PG_PORT (user $PG_USER) or Redis at $REDIS is not reachable;" \
        "start them or set BHAKTI_TEST_PRODUCTION=0" >&2
    exit 1
fi

work=$(mktemp -d)
s3_pid=""
cleanup() {
    if [ -n "$s3_pid" ]; then kill "$s3_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

"$PY" scripts/s3_standin.py "$work/s3.port" bhakti-test-media >"$work/s3.log" 2>&1 &
s3_pid=$!
for _ in $(seq 1 100); do
    [ -s "$work/s3.port" ] && break
    sleep 0.1
done
if [ ! -s "$work/s3.port" ]; then
    echo "the S3 stand-in did not start:" >&2
    cat "$work/s3.log" >&2
    exit 1
fi

started=$SECONDS
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
    run_pytest -n "${TEST_WORKERS:-2}" -q "$@"
)
production_rc=$?
echo "== production pass: exit $production_rc in $((SECONDS - started)) s"

if [ "$embedded_rc" -ne 0 ]; then exit "$embedded_rc"; fi
exit "$production_rc"
