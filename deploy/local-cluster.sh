#!/usr/bin/env bash
# Runs a DOM.Orleans cluster of N silos on this machine, on loopback ports, against one PostgreSQL (ADO.NET
# clustering, grain storage and reminders). Every silo co-hosts the HTTP API.
#
#   deploy/local-cluster.sh start N [--connection CS] [--http-port P] [--silo-port P] [--gateway-port P] [--no-build]
#   deploy/local-cluster.sh add            scale out: start one more silo
#   deploy/local-cluster.sh remove [I]     scale in: stop silo I (default: the newest) gracefully (SIGTERM)
#   deploy/local-cluster.sh kill I         crash silo I (SIGKILL), to watch the cluster recover
#   deploy/local-cluster.sh status         each silo's pid, URL and readiness
#   deploy/local-cluster.sh stop           stop every silo gracefully, then the private PostgreSQL if it started one
#   deploy/local-cluster.sh clean          stop, then delete the state directory
#
# Without --connection it starts a private PostgreSQL 15+ in the state directory (installing it from Debian's
# packages if needed, like tests/run.sh). Either way it applies the schema (DOM.Silo migrate) before the silos start.
# Silo i (1-based) listens on http-port+i-1, silo-port+i-1 and gateway-port+i-1 (defaults 8081, 11111, 30000).
# State (published binaries, pids, logs, operator key, the private database) lives in $DOM_CLUSTER_DIR
# (default: ${TMPDIR:-/tmp}/dom-local-cluster). Only processes whose pids it recorded are ever signalled.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${DOM_CLUSTER_DIR:-${TMPDIR:-/tmp}/dom-local-cluster}
STATE="$DIR/cluster.env"
# shellcheck source=lib/private-postgres.sh
. "$ROOT/deploy/lib/private-postgres.sh"

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

# The pid recorded for silo I, if that process is still a DOM.Silo we started (guards against pid reuse).
silo_pid() {
  local file="$DIR/silo-$1.pid" pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q 'DOM.Silo.dll' "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

silo_indexes() {
  local file
  for file in "$DIR"/silo-*.pid; do
    [ -e "$file" ] || continue
    file=${file##*/silo-}; echo "${file%.pid}"
  done | sort -n
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ready() { curl -fsS --max-time 3 "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1; }

start_silo() {
  local i=$1 http silo gateway pid deadline
  http=$((HTTP_PORT + i - 1)); silo=$((SILO_PORT + i - 1)); gateway=$((GATEWAY_PORT + i - 1))
  silo_pid "$i" >/dev/null && die "silo $i is already running"
  for port in "$http" "$silo" "$gateway"; do port_busy "$port" && die "port $port is in use"; done
  log "silo $i: http://127.0.0.1:$http (silo port $silo, gateway $gateway)"
  ConnectionStrings__Dom="$CONNECTION" Auth__OperatorKey="$OPERATOR_KEY" \
    setsid nohup dotnet "$DIR/app/DOM.Silo.dll" --environment PostgreSQL --urls "http://127.0.0.1:$http" \
    --Silo:ClusterId="$CLUSTER_ID" --Silo:SiloPort="$silo" --Silo:GatewayPort="$gateway" --Silo:AdvertisedAddress=127.0.0.1 \
    >>"$DIR/silo-$i.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$DIR/silo-$i.pid"
  deadline=$((SECONDS + 90))
  until ready "$http"; do
    if ! kill -0 "$pid" 2>/dev/null; then tail -n 30 "$DIR/silo-$i.log" >&2; die "silo $i exited while starting"; fi
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 30 "$DIR/silo-$i.log" >&2; die "silo $i not ready after 90 s"; }
    sleep 0.5
  done
}

# Graceful: SIGTERM, then wait for the process to leave (it drains HTTP, then leaves the cluster).
stop_silo() {
  local i=$1 pid deadline
  if pid=$(silo_pid "$i"); then
    log "stopping silo $i (pid $pid)"
    kill -TERM "$pid"
    deadline=$((SECONDS + 40))
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then log "silo $i did not stop in 40 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; break; fi
      sleep 0.2
    done
  fi
  rm -f "$DIR/silo-$i.pid"
}

load_state() {
  [ -f "$STATE" ] || die "no cluster in $DIR (run: $0 start N)"
  # shellcheck disable=SC1090
  . "$STATE"
}

cmd_start() {
  local count=${1:-}; shift || true
  [[ "$count" =~ ^[1-9][0-9]*$ ]] || usage
  local connection="" build=1
  HTTP_PORT=8081 SILO_PORT=11111 GATEWAY_PORT=30000
  while [ $# -gt 0 ]; do
    case "$1" in
      --connection) connection=$2; shift 2 ;;
      --http-port) HTTP_PORT=$2; shift 2 ;;
      --silo-port) SILO_PORT=$2; shift 2 ;;
      --gateway-port) GATEWAY_PORT=$2; shift 2 ;;
      --no-build) build=0; shift ;;
      *) usage ;;
    esac
  done
  command -v curl >/dev/null || die "curl is required"
  [ -z "$(silo_indexes 2>/dev/null)" ] || die "a cluster is already recorded in $DIR; run: $0 stop"
  mkdir -p "$DIR"

  if [ "$build" = 1 ] || [ ! -f "$DIR/app/DOM.Silo.dll" ]; then
    # Published into the state directory so later builds of the repo do not change binaries under running silos.
    log "publishing DOM.Silo (Release) to $DIR/app"
    dotnet publish "$ROOT/src/DOM.Silo/DOM.Silo.csproj" -c Release -o "$DIR/app" --nologo -clp:ErrorsOnly >&2
  fi

  local private_pg=0
  if [ -z "$connection" ]; then
    pg_ensure_installed
    pg_private_start "$DIR/pg"
    log "private PostgreSQL on 127.0.0.1:$PG_PORT (data in $DIR/pg)"
    if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'dom'" | grep -q 1; then
      "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres dom
    fi
    connection="$(pg_private_connection "$DIR/pg" dom);Maximum Pool Size=40"
    private_pg=1
  fi

  local key
  key=$(cat "$DIR/operator-key" 2>/dev/null || true)
  if [ -z "$key" ]; then key="local-$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"; echo "$key" >"$DIR/operator-key"; chmod 600 "$DIR/operator-key"; fi

  # A fresh cluster id per start: membership rows of an earlier run (a crashed one included) never delay joining.
  # The service id stays 'dom', so grain state and reminders carry over between runs.
  {
    printf 'CONNECTION=%q\n' "$connection"
    printf 'OPERATOR_KEY=%q\n' "$key"
    printf 'CLUSTER_ID=%q\n' "local-$(date +%Y%m%d%H%M%S)"
    printf 'HTTP_PORT=%q\nSILO_PORT=%q\nGATEWAY_PORT=%q\nPRIVATE_PG=%q\n' "$HTTP_PORT" "$SILO_PORT" "$GATEWAY_PORT" "$private_pg"
  } >"$STATE"
  chmod 600 "$STATE"
  load_state

  log "applying the schema"
  ConnectionStrings__Dom="$CONNECTION" dotnet "$DIR/app/DOM.Silo.dll" migrate --environment PostgreSQL >&2

  local i
  for i in $(seq 1 "$count"); do start_silo "$i"; done
  cmd_status
  log "operator key: $OPERATOR_KEY   (X-Api-Key; issue channel keys with POST /api/v1/api-keys)"
}

cmd_add() {
  load_state
  local last
  last=$(silo_indexes | tail -n 1)
  start_silo $(( ${last:-0} + 1 ))
  cmd_status
}

cmd_remove() {
  load_state
  local i=${1:-$(silo_indexes | tail -n 1)}
  [ -n "$i" ] || die "no silo is running"
  silo_pid "$i" >/dev/null || die "silo $i is not running"
  stop_silo "$i"
}

cmd_kill() {
  load_state
  local i=${1:-} pid
  [ -n "$i" ] || usage
  pid=$(silo_pid "$i") || die "silo $i is not running"
  log "killing silo $i (pid $pid) with SIGKILL"
  kill -KILL "$pid"
  rm -f "$DIR/silo-$i.pid"
}

cmd_status() {
  load_state
  local i pid http readiness
  printf '%-5s %-8s %-24s %s\n' silo pid http ready
  for i in $(silo_indexes); do
    http=$((HTTP_PORT + i - 1))
    if pid=$(silo_pid "$i"); then
      readiness=$(curl -sS --max-time 3 "http://127.0.0.1:$http/health/ready" 2>/dev/null | grep -o '"status":"[A-Za-z]*"' | head -n 1 | cut -d'"' -f4 || true)
      printf '%-5s %-8s %-24s %s\n' "$i" "$pid" "http://127.0.0.1:$http" "${readiness:-no answer}"
    else
      printf '%-5s %-8s %-24s %s\n' "$i" "-" "http://127.0.0.1:$http" "not running"
    fi
  done
  if [ "$PRIVATE_PG" = 1 ]; then
    if pg_private_running "$DIR/pg"; then echo "PostgreSQL: running on 127.0.0.1:$(cat "$DIR/pg/port") (private)"; else echo "PostgreSQL: stopped (private)"; fi
  fi
}

cmd_stop() {
  [ -f "$STATE" ] || { log "nothing recorded in $DIR"; return 0; }
  load_state
  local i
  for i in $(silo_indexes); do stop_silo "$i" & done
  wait
  if [ "$PRIVATE_PG" = 1 ]; then
    pg_ensure_installed
    log "stopping the private PostgreSQL (data kept in $DIR/pg)"
    pg_private_stop "$DIR/pg"
  fi
}

cmd_clean() {
  cmd_stop
  rm -rf "$DIR"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  add) cmd_add ;;
  remove) shift; cmd_remove "$@" ;;
  kill) shift; cmd_kill "$@" ;;
  status) cmd_status ;;
  stop) cmd_stop ;;
  clean) cmd_clean ;;
  *) usage ;;
esac
