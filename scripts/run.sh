#!/usr/bin/env bash
# The embedded default: SQLite, django-q2's ORM broker, local media, one machine.
# Starts the render workers (`manage.py run_workers`) and the web server on $BIND (default
# 127.0.0.1:8000). SIGTERM to the process group, or Ctrl-C, stops everything within seconds;
# a render under way goes back to the queue and resumes from its finished segments next time.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
BIND="${BIND:-127.0.0.1:8000}"
case "$BIND" in
  *:*) address="$BIND" ;;
  *) address="127.0.0.1:$BIND" ;;  # runserver takes a bare port as 127.0.0.1:<port>
esac
$PY manage.py migrate --noinput
$PY manage.py bootstrap_demo
$PY manage.py queue_samples

$PY manage.py run_workers &
workers=$!
# --noreload: one server process, so a stop reaches it (the autoreloader's child outlived its parent).
$PY manage.py runserver --noreload "$address" &
web=$!

stop() {
  trap - INT TERM EXIT
  kill -TERM "$workers" "$web" 2>/dev/null || true
  wait "$workers" "$web" 2>/dev/null || true
}
trap stop INT TERM EXIT

# The banner names the address once the server answers on it.
host="${address%:*}"
port="${address##*:}"
case "$host" in 0.0.0.0 | "" | "[::]" | "::") probe=127.0.0.1 ;; *) probe="${host#[}"; probe="${probe%]}" ;; esac
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/$probe/$port") 2>/dev/null; then
    echo "Bhakti is at http://$address/ (log in as demo / demo-bhakti-123)"
    break
  fi
  kill -0 "$web" 2>/dev/null || break
  sleep 0.2
done
wait -n "$workers" "$web"  # one of them ending (or a signal) ends the script, and stop() the other
