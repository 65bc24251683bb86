#!/usr/bin/env bash
# A private PostgreSQL server in a directory of its own, on a free loopback port: for the test suite
# (tests/run.sh), the local cluster (deploy/local-cluster.sh) and the tests that stop and start their own server.
#
# Sourced, it defines functions (pg_ensure_installed, pg_private_init, pg_private_start, pg_private_stop, ...).
# Run as a command:
#   private-postgres.sh init  DIR    create DIR/data (initdb) and pick a free port (DIR/port); prints nothing
#   private-postgres.sh start DIR    init if needed, start the server; prints its admin connection string
#   private-postgres.sh stop  DIR    fast shutdown (data kept); no-op when it is not running
#   private-postgres.sh destroy DIR  stop and delete DIR
# The server listens on 127.0.0.1 only and trusts local connections (user postgres); as root it runs as the
# 'postgres' OS account, since PostgreSQL refuses to run as root.

pg_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to run: $*" >&2; return 1; fi
}

pg_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return; fi
  if command -v pg_ctl >/dev/null; then dirname "$(command -v pg_ctl)"; fi
}

# Sets PG_BIN; installs PostgreSQL from Debian's packages when it is missing.
pg_ensure_installed() {
  PG_BIN=$(pg_bin_dir)
  if [ -z "$PG_BIN" ]; then
    echo "== installing PostgreSQL from Debian's packages" >&2
    pg_as_root apt-get update -qq >&2
    pg_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PG_BIN=$(pg_bin_dir)
  fi
  [ -n "$PG_BIN" ] || { echo "PostgreSQL binaries not found after install" >&2; return 1; }
  # The schema needs 15 or later (UNIQUE NULLS NOT DISTINCT); say so now rather than fail in a migration.
  local major
  major=$("$PG_BIN/pg_ctl" --version | sed -E 's/.* ([0-9]+)[.0-9]*.*/\1/')
  if [ "${major:-0}" -lt 15 ]; then
    echo "PostgreSQL $major in $PG_BIN is too old: DOM.Orleans needs 15 or later" >&2; return 1
  fi
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  fi
}

# Runs a PostgreSQL binary as the account that owns the data directory.
pg_run() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_free_port() {
  local port
  for port in $(seq "${1:-54320}" "${2:-54999}" | shuf); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "no free port" >&2; return 1
}

# pg_private_init DIR: an empty cluster in DIR/data and a port in DIR/port (kept across restarts).
pg_private_init() {
  local dir=$1
  mkdir -p "$dir"
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    pg_run "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  [ -s "$dir/port" ] || pg_free_port >"$dir/port"
}

# pg_private_start DIR: starts the server (initialising it first if needed); sets PG_PORT and PG_PID. Settings in
# PG_EXTRA_OPTIONS ("-c name=value ...") are added to the server's command line.
# A start that fails prints the server's log and is tried again, at most three times: on another free port when the
# port was taken between the check and the bind, else on the same one. A server still starting when pg_ctl gave up
# is stopped first, so the port in DIR/port is always the one the server listens on.
pg_private_start() {
  local dir=$1 attempt seen
  pg_private_init "$dir"
  for attempt in 1 2 3; do
    PG_PORT=$(cat "$dir/port")
    if pg_private_running "$dir"; then break; fi
    seen=$( [ -f "$dir/server.log" ] && wc -l <"$dir/server.log" || echo 0 )
    if pg_run "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $dir -c max_connections=300 -c shared_buffers=256MB -c fsync=on -c synchronous_commit=on ${PG_EXTRA_OPTIONS:-}" \
      start >/dev/null; then
      break
    fi
    echo "PostgreSQL did not start on 127.0.0.1:$PG_PORT (attempt $attempt of 3); its log:" >&2
    tail -n "+$((seen + 1))" "$dir/server.log" 2>/dev/null | tail -n 20 >&2 || true
    if pg_private_running "$dir"; then
      pg_run "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    fi
    [ "$attempt" = 3 ] && return 1
    if tail -n "+$((seen + 1))" "$dir/server.log" 2>/dev/null | grep -q "Address already in use"; then
      pg_free_port >"$dir/port"
    fi
  done
  PG_PID=$(head -n 1 "$dir/data/postmaster.pid")
}

pg_private_running() {
  local dir=$1 pid
  [ -f "$dir/data/postmaster.pid" ] || return 1
  pid=$(head -n 1 "$dir/data/postmaster.pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# pg_private_stop DIR: fast shutdown (open transactions roll back, committed data stays); data is kept.
pg_private_stop() {
  local dir=$1 pid
  pg_private_running "$dir" || return 0
  pid=$(head -n 1 "$dir/data/postmaster.pid")
  pg_run "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
}

pg_private_destroy() {
  local dir=$1
  pg_private_stop "$dir"
  rm -rf "$dir"
}

# The admin connection string for the server in DIR (database postgres; pass another name as $2).
pg_private_connection() {
  echo "Host=127.0.0.1;Port=$(cat "$1/port");Username=postgres;Database=${2:-postgres}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  command=${1:-}
  dir=${2:-}
  [ -n "$command" ] && [ -n "$dir" ] || { echo "usage: $0 init|start|stop|destroy DIR" >&2; exit 2; }
  pg_ensure_installed
  case "$command" in
    init) pg_private_init "$dir" ;;
    start) pg_private_start "$dir"; pg_private_connection "$dir" ;;
    stop) pg_private_stop "$dir" ;;
    destroy) pg_private_destroy "$dir" ;;
    *) echo "usage: $0 init|start|stop|destroy DIR" >&2; exit 2 ;;
  esac
fi
