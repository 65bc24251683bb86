#!/usr/bin/env bash
# Runs the whole DOM.Orleans test suite: builds (warnings are errors), makes sure PostgreSQL is installed
# (Debian packages), starts a private server on a free loopback port in a temporary directory, runs every
# test against it, and stops that server whatever the outcome. Usage: tests/run.sh [extra dotnet test args]
set -euo pipefail
cd "$(dirname "$0")/.."

# The private server: install if needed, start on a free loopback port, stop on exit (shared with benchmarks/run.sh).
source tests/private-postgres.sh
trap private_pg_stop EXIT INT TERM
private_pg_start
export DOM_TEST_POSTGRES="$PRIVATE_PG_CONNECTION"

log "building (warnings are errors)"
dotnet build DOM.Orleans.sln -c Release --nologo -clp:ErrorsOnly

log "running the tests"
status=0
dotnet test DOM.Orleans.sln -c Release --no-build --nologo --logger "console;verbosity=minimal" "$@" 2>&1 | tee "$PG_DIR/test.log" || status=$?
# One closing line for the whole suite, summed over the test assemblies.
grep -hoE '(Passed|Failed)!? +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$PG_DIR/test.log" \
  | awk -F'[:,]' '{ failed += $2; passed += $4; skipped += $6 } END { printf "\n%d passed, %d failed, %d skipped\n", passed, failed, skipped }'
if [ "$status" != 0 ] && [ -s "$PG_DIR/server.log" ]; then
  log "PostgreSQL log (tail)"; tail -n 30 "$PG_DIR/server.log" || true
fi
exit "$status"
