#!/usr/bin/env bash
# Time each phase of `make test` (README, "make test"): lint, types, the SQLite run and the
# PostgreSQL run, with the load average before and after each, so a figure taken on a shared
# machine says how busy it was. Extra arguments go to make (e.g. PYTEST_WORKERS=0 for the
# one-process baseline). Stops at the first failing phase, like make test.
set -euo pipefail
cd "$(dirname "$0")/.."

load() { cut -d' ' -f1-3 /proc/loadavg; }
total_start=$(date +%s.%N)
printf '%-14s %9s  %-16s %-16s\n' phase seconds "load before" "load after"
for phase in venv lint typecheck test-sqlite test-postgres; do
  before=$(load)
  start=$(date +%s.%N)
  if ! make --no-print-directory "$phase" "$@" >"/tmp/time_make_test.$phase.log" 2>&1; then
    echo "time_make_test: $phase failed; see /tmp/time_make_test.$phase.log" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  printf '%-14s %9.1f  %-16s %-16s\n' "$phase" "$(awk "BEGIN {print $end - $start}")" "$before" "$(load)"
done
printf '%-14s %9.1f  (%s cores)\n' total "$(awk "BEGIN {print $(date +%s.%N) - $total_start}")" "$(nproc)"
