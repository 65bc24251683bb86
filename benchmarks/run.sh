#!/usr/bin/env bash
# Runs the DOM.Orleans benchmark (issue 3): builds it, starts a private PostgreSQL exactly as tests/run.sh does, runs
# the baseline patterns and the engine (memory and PostgreSQL storage, in-process and HTTP) and the ceiling in one
# run against that one server, prints the table, writes benchmarks/results/latest.{md,json,svg}, and stops the server
# whatever the outcome. Exits non-zero when an oversell or loss check fails.
#
#   benchmarks/run.sh            # full run (10 s per row; about 17 minutes on 2 cores)
#   benchmarks/run.sh --smoke    # seconds per row, small data
#   benchmarks/run.sh --help     # every option (durations, callers, systems, scenarios, …)
#
# With DOM_BENCH_POSTGRES set (an admin connection string), it uses that server instead of starting one.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

if [ "${1:-}" = "--help" ]; then
  dotnet run -c Release --project benchmarks/DOM.Benchmarks -- --help || true
  exit 0
fi

PG_DIR=""
if [ -z "${DOM_BENCH_POSTGRES:-}" ]; then
  # shellcheck source=../deploy/lib/private-postgres.sh
  . deploy/lib/private-postgres.sh
  pg_ensure_installed
  PG_DIR=$(mktemp -d -t dom-bench-pg.XXXXXX)
  trap 'pg_private_destroy "$PG_DIR"' EXIT INT TERM
  pg_private_init "$PG_DIR"
  # No timed checkpoint inside a row: only the forced ones when a run creates or drops its databases. A checkpoint makes
  # the next write to every page log the whole page, so one landing inside some rows and not others (a system group
  # lasts longer than the default 5 minutes) charges whichever system runs then. Same server, same settings for all.
  export PG_EXTRA_OPTIONS="-c checkpoint_timeout=1h -c max_wal_size=16GB"
  # DOM_BENCH_PG_STATEMENTS=1: every row also says what PostgreSQL did per reservation (statements, rows, WAL).
  if [ "${DOM_BENCH_PG_STATEMENTS:-}" = 1 ]; then
    PG_EXTRA_OPTIONS="$PG_EXTRA_OPTIONS -c shared_preload_libraries=pg_stat_statements"
  fi
  log "starting a private PostgreSQL ($("$PG_BIN/postgres" --version))"
  pg_private_start "$PG_DIR"
  echo "listening on 127.0.0.1:$PG_PORT"
  export DOM_BENCH_POSTGRES="$(pg_private_connection "$PG_DIR");Maximum Pool Size=100"
fi

log "building the benchmark (Release; warnings are errors)"
dotnet build benchmarks/DOM.Benchmarks -c Release --nologo -clp:ErrorsOnly

log "running"
status=0
dotnet benchmarks/DOM.Benchmarks/bin/Release/net10.0/DOM.Benchmarks.dll "$@" || status=$?
if [ "$status" != 0 ] && [ -n "${PG_DIR:-}" ] && [ -s "$PG_DIR/server.log" ]; then
  log "PostgreSQL log (tail)"; tail -n 30 "$PG_DIR/server.log" || true
fi
exit "$status"
