#!/usr/bin/env bash
# The embedded default: SQLite, django-q2's ORM broker, local media, one machine.
# Starts a django-q2 cluster in the background and the web server on 127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY manage.py migrate --noinput
$PY manage.py bootstrap_demo
$PY manage.py qcluster &
cluster=$!
trap 'kill $cluster 2>/dev/null || true' EXIT INT TERM
echo "Bhakti is at http://127.0.0.1:8000/ (log in as demo / demo-bhakti-123)"
$PY manage.py runserver "${BIND:-127.0.0.1:8000}"
