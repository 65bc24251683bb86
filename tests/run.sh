#!/usr/bin/env bash
# Runs the whole DOM.Orleans test suite: builds (warnings are errors), makes sure PostgreSQL is installed
# (Debian packages), starts a private server on a free loopback port in a temporary directory, runs every
# test against it, and stops that server whatever the outcome. Usage: tests/run.sh [extra dotnet test args]
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to run: $*" >&2; return 1; fi
}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return; fi
  if command -v pg_ctl >/dev/null; then dirname "$(command -v pg_ctl)"; fi
}

PG_BIN=$(pg_bin)
if [ -z "$PG_BIN" ]; then
  log "installing PostgreSQL from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  PG_BIN=$(pg_bin)
fi
[ -n "$PG_BIN" ] || { echo "PostgreSQL binaries not found after install" >&2; exit 1; }

# PostgreSQL refuses to run as root: run it as the 'postgres' account then.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  run_pg() { runuser -u postgres -- "$@"; }
else
  run_pg() { "$@"; }
fi

free_port() {
  local port
  for port in $(seq 54320 54999 | shuf); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "no free port" >&2; return 1
}

PG_DIR=$(mktemp -d -t dom-pg.XXXXXX)
chmod 755 "$PG_DIR"
[ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
PG_PORT=$(free_port)
PG_PID=""

stop_pg() {
  if [ -n "$PG_PID" ] && kill -0 "$PG_PID" 2>/dev/null; then
    run_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || kill "$PG_PID" 2>/dev/null || true
  fi
  rm -rf "$PG_DIR"
}
trap stop_pg EXIT INT TERM

log "starting a private PostgreSQL ($("$PG_BIN/postgres" --version)) on 127.0.0.1:$PG_PORT"
run_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
run_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=300 -c shared_buffers=256MB -c fsync=on -c synchronous_commit=on" \
  start >/dev/null
PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
export DOM_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres;Maximum Pool Size=50;Timeout=5;Command Timeout=30"

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
