#!/usr/bin/env bash
# Finds a Python the project supports (3.11, 3.12 or 3.13: pyproject.toml's requires-python).
#
#   scripts/python.sh pick [PYTHON]    the interpreter to build .venv with: PYTHON when given
#                                      (refused, with the reason, when it is not supported), else
#                                      the newest supported one found. Path on stdout, why on stderr.
#   scripts/python.sh other X.Y        the supported interpreter farthest from X.Y (3.11 beside
#                                      3.13 and the other way round), for the test suite's
#                                      second-Python pass; exits 1 when there is none.
#
# Looks on PATH (python3.13, python3.12, python3.11, python3) and in pyenv's versions folder: a
# pyenv shim for a version that is installed but not selected fails when run, so each candidate
# is run once to ask its version, and one whose venv module is missing (Debian's python3 without
# python3-venv) is passed over.
set -uo pipefail

SUPPORTED=(3.13 3.12 3.11) # newest first

# "X.Y" of an interpreter that runs and can make a venv, or nothing.
version_of() {
    "$1" -c 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

is_supported() {
    local v
    for v in "${SUPPORTED[@]}"; do [ "$v" = "$1" ] && return 0; done
    return 1
}

candidates() {
    local v root
    for v in "${SUPPORTED[@]}"; do command -v "python$v" || true; done
    command -v python3 || true
    if command -v pyenv >/dev/null; then
        root=$(pyenv root 2>/dev/null) || root=""
        if [ -n "$root" ]; then
            # Newest first: 3.13.1 before 3.13.0.
            ls -d "$root"/versions/3.*/bin/python3 2>/dev/null | sort -t/ -k1,1 -V -r
        fi
    fi
}

# "path version" per line, for every candidate that runs and is supported, in preference order.
supported_interpreters() {
    local path v
    local -A seen=()
    while read -r path; do
        [ -n "$path" ] || continue
        v=$(version_of "$path") || continue
        is_supported "$v" || continue
        [ -z "${seen[$path]:-}" ] || continue
        seen[$path]=1
        echo "$path $v"
    done < <(candidates)
}

pick() {
    local given="${1:-}" v best="" best_v=""
    if [ -n "$given" ]; then
        if ! v=$(version_of "$given"); then
            echo "PYTHON=$given does not run or has no venv module (on Debian: apt-get install python3-venv)" >&2
            return 1
        fi
        if ! is_supported "$v"; then
            echo "PYTHON=$given is Python $v; Bhakti needs Python ${SUPPORTED[*]}" >&2
            return 1
        fi
        echo "using Python $v ($given, as PYTHON says)" >&2
        echo "$given"
        return 0
    fi
    # sort -s keeps PATH's order among interpreters of one version.
    read -r best best_v < <(supported_interpreters | sort -s -k2,2 -V -r)
    if [ -z "$best" ]; then
        echo "no supported Python found: Bhakti needs Python ${SUPPORTED[*]} (with its venv module)." >&2
        echo "Looked for python3.13, python3.12, python3.11 and python3 on PATH and in pyenv's versions;" >&2
        local path
        while read -r path; do
            [ -n "$path" ] || continue
            if v=$(version_of "$path"); then echo "  $path is Python $v" >&2; else echo "  $path does not run or has no venv module" >&2; fi
        done < <(candidates)
        echo "install one (e.g. apt-get install python3 python3-venv on Debian 13 or Ubuntu 24.04)," >&2
        echo "or name one: PYTHON=/path/to/python3.12 make run" >&2
        return 1
    fi
    echo "using Python $best_v ($best): the newest supported one found; PYTHON=... picks another" >&2
    echo "$best"
}

other() {
    local main="$1" best="" best_v=""
    # The supported version farthest from main's (3.11 beside 3.13, 3.13 beside 3.11), the older
    # one on a tie: then the two passes cover both ends of the range.
    read -r best best_v < <(supported_interpreters | awk -v m="${main#*.}" '{
        split($2, v, "."); d = v[2] - m; if (d < 0) d = -d
        if (d > 0) printf "%d %d %s %s\n", 100 - d, v[2], $1, $2
    }' | sort -s -n -k1,1 -k2,2 | cut -d" " -f3-)
    [ -n "$best" ] || return 1
    echo "$best"
}

case "${1:-}" in
pick) pick "${2:-}" ;;
other) other "${2:?usage: scripts/python.sh other X.Y}" ;;
*)
    echo "usage: scripts/python.sh pick [PYTHON] | other X.Y" >&2
    exit 2
    ;;
esac
