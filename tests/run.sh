#!/usr/bin/env bash
# Runs the whole DOM.Orleans test suite: builds (warnings are errors), makes sure PostgreSQL, Chromium and chromedriver
# are installed (Debian packages), starts a private server on a free loopback port in a temporary directory, runs every
# test against it, and stops that server whatever the outcome. Usage: tests/run.sh [extra dotnet test args]
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

# shellcheck source=../deploy/lib/private-postgres.sh
. deploy/lib/private-postgres.sh
pg_ensure_installed

# The page tests drive Debian's Chromium through its chromedriver (DOM_TEST_CHROMIUM and DOM_TEST_CHROMEDRIVER name
# others); installed here when missing, as PostgreSQL is.
if [ -z "${DOM_TEST_CHROMIUM:-}" ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  log "installing Chromium and chromedriver from Debian's packages (the page tests)"
  pg_as_root apt-get update -qq >&2
  pg_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

PG_DIR=$(mktemp -d -t dom-pg.XXXXXX)
stop_pg() { pg_private_destroy "$PG_DIR"; }
# Cleaned up once, on the way out; an interrupted run exits with the signal's status rather than going on.
trap stop_pg EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_private_init "$PG_DIR"
log "starting a private PostgreSQL ($("$PG_BIN/postgres" --version))"
pg_private_start "$PG_DIR"
echo "listening on 127.0.0.1:$PG_PORT"
export DOM_TEST_POSTGRES="$(pg_private_connection "$PG_DIR");Maximum Pool Size=50;Timeout=5;Command Timeout=30"

log "building (warnings are errors)"
dotnet build DOM.Orleans.sln -c Release --nologo -clp:ErrorsOnly

log "running the tests"
status=0
# One test assembly at a time (-m:1): the cluster tests run real silo processes under load and the benchmark's smoke run
# saturates both cores; side by side they starve each other on a 2-core machine and time-bound assertions turn flaky.
# A test that hangs is stopped after 10 minutes (its assembly then fails, naming it) rather than holding CI to its limit.
dotnet test DOM.Orleans.sln -c Release --no-build --nologo -m:1 --logger "console;verbosity=minimal" \
  --blame-hang-timeout 10m --blame-hang-dump-type none "$@" 2>&1 | tee "$PG_DIR/test.log" || status=$?
# One closing line for the whole suite, summed over the test assemblies.
grep -hoE '(Passed|Failed)!? +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$PG_DIR/test.log" \
  | awk -F'[:,]' '{ failed += $2; passed += $4; skipped += $6 } END { printf "\n%d passed, %d failed, %d skipped\n", passed, failed, skipped }'
if [ "$status" != 0 ] && [ -s "$PG_DIR/server.log" ]; then
  log "PostgreSQL log (tail)"; tail -n 30 "$PG_DIR/server.log" || true
fi
exit "$status"
