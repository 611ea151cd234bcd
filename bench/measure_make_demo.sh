#!/usr/bin/env bash
# Times `make demo` on a fresh clone, from the command to the first page served: the first
# run (virtualenv, install, migrate, demo content) and the second (everything already there).
# Usage: bench/measure_make_demo.sh [REPOSITORY] (default: this one, as committed).
# Needs network access to the package index; not part of `make bench`.
set -euo pipefail
repo=$(realpath "${1:-$(dirname "$0")/..}")
port=${PORT:-8765}
work=$(mktemp -d)
git clone --quiet "$repo" "$work/clone"
cd "$work/clone"

serve_once() {
    local start end pid
    start=$(date +%s.%N)
    DJANGO_SUPERUSER_PASSWORD=measure setsid make demo PORT="$port" >"$work/$1.log" 2>&1 &
    pid=$!
    until curl -fs -o /dev/null "http://127.0.0.1:$port/"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -40 "$work/$1.log"
            exit 1
        fi
        sleep 0.5
    done
    end=$(date +%s.%N)
    kill -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    printf '%s make demo: %.0f s to the first page\n' "$1" "$(echo "$end - $start" | bc)"
}

serve_once first
serve_once second
printf 'virtualenv: %s\n' "$(du -sh .venv | cut -f1)"
rm -rf "$work"
