#!/usr/bin/env bash
# Sourced (not run) by tests/run.sh and benchmarks/run.sh: makes sure PostgreSQL is installed (Debian packages) and
# starts a private server on a free loopback port in a temporary directory, as the 'postgres' account when root.
#
#   source tests/private-postgres.sh
#   private_pg_start                 # sets PG_BIN, PG_DIR, PG_PORT, PG_PID and PRIVATE_PG_CONNECTION
#   trap private_pg_stop EXIT INT TERM
#
# PRIVATE_PG_CONNECTION is an admin connection string (user postgres, trust auth, database postgres).
# The server keeps its log in $PG_DIR/server.log; private_pg_stop stops it and removes $PG_DIR whatever happened.

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

free_port() {
  local port
  for port in $(seq 54320 54999 | shuf); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "no free port" >&2; return 1
}

PG_BIN=""
PG_DIR=""
PG_PORT=""
PG_PID=""
PRIVATE_PG_CONNECTION=""

private_pg_start() {
  PG_BIN=$(pg_bin)
  if [ -z "$PG_BIN" ]; then
    log "installing PostgreSQL from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PG_BIN=$(pg_bin)
  fi
  [ -n "$PG_BIN" ] || { echo "PostgreSQL binaries not found after install" >&2; return 1; }

  # PostgreSQL refuses to run as root: run it as the 'postgres' account then.
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    run_pg() { runuser -u postgres -- "$@"; }
  else
    run_pg() { "$@"; }
  fi

  PG_DIR=$(mktemp -d -t dom-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$PG_DIR"; fi
  PG_PORT=$(free_port)

  log "starting a private PostgreSQL ($("$PG_BIN/postgres" --version)) on 127.0.0.1:$PG_PORT"
  run_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  run_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=300 -c shared_buffers=256MB -c fsync=on -c synchronous_commit=on" \
    start >/dev/null
  PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
  PRIVATE_PG_CONNECTION="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres;Maximum Pool Size=50;Timeout=5;Command Timeout=30"
}

private_pg_stop() {
  if [ -n "$PG_PID" ] && kill -0 "$PG_PID" 2>/dev/null; then
    run_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || kill "$PG_PID" 2>/dev/null || true
  fi
  if [ -n "$PG_DIR" ]; then rm -rf "$PG_DIR"; fi
}
