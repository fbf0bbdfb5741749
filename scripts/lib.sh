#!/usr/bin/env bash
# Shared helpers for scripts/stack.sh and scripts/test.sh: install what is missing, start and stop the
# local services (Postgres, Redis, Temporal dev server). Every service keeps its state under QD_DATA_DIR.
set -euo pipefail

QD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export QD_ROOT
export QD_DATA_DIR="${QD_DATA_DIR:-$QD_ROOT/.data}"
export QD_CACHE_DIR="${QD_CACHE_DIR:-$HOME/.cache/quantdesk}"
export QD_PG_PORT="${QD_PG_PORT:-5432}"
export QD_REDIS_PORT="${QD_REDIS_PORT:-6379}"
export QD_TEMPORAL_PORT="${QD_TEMPORAL_PORT:-7233}"
export QD_TEMPORAL_UI_PORT="${QD_TEMPORAL_UI_PORT:-8233}"
export QD_API_PORT="${QD_API_PORT:-3002}"
export QD_WEB_PORT="${QD_WEB_PORT:-3001}"
export QD_PG_URL="${QD_PG_URL:-postgres://quantdesk@127.0.0.1:$QD_PG_PORT/quantdesk}"
export QD_PG_ADMIN_URL="${QD_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:$QD_PG_PORT/postgres}"
export QD_REDIS_URL="${QD_REDIS_URL:-redis://127.0.0.1:$QD_REDIS_PORT}"
export QD_TEMPORAL_ADDRESS="${QD_TEMPORAL_ADDRESS:-127.0.0.1:$QD_TEMPORAL_PORT}"
export QD_TEMPORAL_NAMESPACE="${QD_TEMPORAL_NAMESPACE:-quantdesk}"
export QD_TEMPORAL_CLI="${QD_TEMPORAL_CLI:-$QD_CACHE_DIR/bin/temporal}"
# Which Temporal server `npm start`, `npm test` and `npm run bench` run: `postgres` (the real server,
# 16 history shards on our Postgres, built once with go install) or `dev` (the CLI's dev server, one shard
# on a SQLite file). The default was chosen on the liquidation-crash benchmark (README).
export QD_TEMPORAL_SERVER="${QD_TEMPORAL_SERVER:-postgres}"
export QD_TEMPORAL_SHARDS="${QD_TEMPORAL_SHARDS:-16}"
# Events one workflow history may hold before the server terminates it (unset: Temporal's 51,200).
# `npm test` lowers it so that a test proves a resting order's history does not grow with ticks.
export QD_TEMPORAL_HISTORY_LIMIT="${QD_TEMPORAL_HISTORY_LIMIT:-}"

# Metrics and alerting (ARCHITECTURE §9): Prometheus and Alertmanager from Debian's packages, started by
# `npm start` with their state under QD_DATA_DIR/monitoring. QD_MONITORING=off starts neither.
export QD_MONITORING="${QD_MONITORING:-on}"
export QD_PROMETHEUS_PORT="${QD_PROMETHEUS_PORT:-9090}"
export QD_ALERTMANAGER_PORT="${QD_ALERTMANAGER_PORT:-9093}"
export QD_SCRAPE_INTERVAL="${QD_SCRAPE_INTERVAL:-5s}"
export QD_PROMETHEUS_URL="${QD_PROMETHEUS_URL:-http://127.0.0.1:$QD_PROMETHEUS_PORT}"
# Where each process of ours serves /metrics (platform/config.ts has the same defaults).
export QD_WORKER_METRICS_PORT="${QD_WORKER_METRICS_PORT:-9470}"
export QD_WORKER_SDK_METRICS_PORT="${QD_WORKER_SDK_METRICS_PORT:-9471}"
export QD_RISK_MONITOR_METRICS_PORT="${QD_RISK_MONITOR_METRICS_PORT:-9472}"
export QD_PRICE_FEED_METRICS_PORT="${QD_PRICE_FEED_METRICS_PORT:-9473}"
export QD_MIKEY_METRICS_PORT="${QD_MIKEY_METRICS_PORT:-9474}"
export QD_TEMPORAL_METRICS_PORT="${QD_TEMPORAL_METRICS_PORT:-7250}"

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
RUN_DIR="$QD_DATA_DIR/run"
# Services this invocation started (and so must stop); the caller reads it.
QD_STARTED=()

log() { printf '\033[1;34m[qd]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[qd] error:\033[0m %s\n' "$*" >&2; exit 1; }

# --- installing what is missing -------------------------------------------------------------------
ensure_node_deps() {
  local stamp="$QD_ROOT/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$QD_ROOT/package-lock.json" -nt "$stamp" ]; then
    log "installing npm dependencies (npm ci)"
    (cd "$QD_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (run: sudo apt-get install -y ${missing[*]})"
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_temporal_cli() {
  local module stamp
  module="$(grep -v '^#' "$QD_ROOT/temporal/cli-version" | head -n1)"
  stamp="$QD_CACHE_DIR/bin/.temporal-module"
  if [ -x "$QD_TEMPORAL_CLI" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$module" ]; then ensure_temporal_server; return 0; fi
  command -v go >/dev/null || die "Go is needed to build the Temporal CLI ($module)"
  log "building the Temporal CLI from $module (first run only; cached in $QD_CACHE_DIR/bin)"
  mkdir -p "$QD_CACHE_DIR/bin"
  GOBIN="$QD_CACHE_DIR/bin" GOFLAGS=-mod=mod go install "$module" || die "building $module failed (see the Go output above)"
  echo "$module" >"$stamp"
  QD_TEMPORAL_CLI="$QD_CACHE_DIR/bin/temporal"
  ensure_temporal_server
}

# The real Temporal server, its SQL tool and the UI server, pinned in temporal/server/versions.
ensure_temporal_server() {
  [ "$QD_TEMPORAL_SERVER" = postgres ] || return 0
  local module dir stamp
  while read -r dir module; do
    case "$dir" in '#'*|'') continue ;; esac
    stamp="$QD_CACHE_DIR/$dir/.module"
    [ "$(cat "$stamp" 2>/dev/null)" = "$module" ] && continue
    command -v go >/dev/null || die "Go is needed to build $module"
    log "building $module (first run only; cached in $QD_CACHE_DIR/$dir)"
    mkdir -p "$QD_CACHE_DIR/$dir"
    GOBIN="$QD_CACHE_DIR/$dir" GOFLAGS=-mod=mod go install "$module" || die "building $module failed (see the Go output above)"
    echo "$module" >"$stamp"
  done <"$QD_ROOT/temporal/server/versions"
}

# The localnet (programs/localnet): one bank running quantdesk-perp natively, served over JSON-RPC.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$QD_CACHE_DIR/cargo-target}"
export QD_LOCALNET_BIN="${QD_LOCALNET_BIN:-$CARGO_TARGET_DIR/debug/quantdesk-localnet}"
export QD_LOCALNET_PORTS="${QD_LOCALNET_PORTS:-8899,8901,8903}"
export QD_LOCALNET_CONTROL_PORT="${QD_LOCALNET_CONTROL_PORT:-8890}"
ensure_localnet() {
  command -v cargo >/dev/null || die "Rust (cargo) is needed to build the localnet"
  log "building the localnet and the program (cargo; the first build takes about 10 minutes)"
  cargo_build_bin quantdesk-localnet programs/localnet/src/main.rs || die "building the localnet failed"
}

# Builds a binary crate of programs/ so that target/debug/<bin> is this checkout's. Cargo copies a
# binary there only when it compiles it: with the target dir shared by several clones (CI), a build
# that finds its own artifacts fresh would leave another clone's binary in place. Switching clones
# therefore touches the crate's main file once, which rebuilds (and relinks) just that crate, and the
# program's (clones share artifact names, so another clone's program could otherwise pass as fresh).
cargo_build_bin() { # package main-source
  local stamp="$CARGO_TARGET_DIR/.built-from-$1"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$QD_ROOT" ]; then touch "$QD_ROOT/$2" "$QD_ROOT/programs/quantdesk-perp/src/lib.rs"; fi
  cargo build -q --manifest-path "$QD_ROOT/programs/Cargo.toml" --locked -p "$1" || return 1
  mkdir -p "$CARGO_TARGET_DIR" && echo "$QD_ROOT" >"$stamp"
}

# --- ports ----------------------------------------------------------------------------------------
port_in_use() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }
port_owner() { ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*"\),pid=\([0-9]*\).*/\1 (pid \2)/p' | head -n1; }
require_free_port() { # name port
  if port_in_use "$2"; then
    die "port $2 for $1 is taken by $(port_owner "$2" || echo 'another process'); stop it or set the matching QD_*_PORT"
  fi
}
wait_for_port() { # name port seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do port_in_use "$2" && return 0; sleep 0.1; done
  die "$1 did not open port $2 within $3 s (logs: $QD_DATA_DIR/logs)"
}
pid_alive() { [ -f "$1" ] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }

# --- Postgres: a cluster of our own under QD_DATA_DIR ---------------------------------------------
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Where the cluster lives. As root, Postgres runs as user postgres, which cannot enter a checkout in a
# private home (mode 700, as Debian makes root's): the cluster then lives under /var/lib/quantdesk, one
# per data directory, and .data/logs/postgres.log links to its log.
# Where a cluster already is wins: whether user postgres can enter QD_DATA_DIR changes once it exists (a
# checkout in /tmp: not yet at the first start, then yes), and stop must find what start made.
pg_home() {
  local hashed
  hashed="/var/lib/quantdesk/$(printf %s "$QD_DATA_DIR" | sha256sum | cut -c1-16)"
  if [ -f "$hashed/postgres/PG_VERSION" ]; then
    echo "$hashed"
  elif [ -f "$QD_DATA_DIR/postgres/PG_VERSION" ]; then
    echo "$QD_DATA_DIR"
  elif [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$QD_DATA_DIR" 2>/dev/null; then
    echo "$hashed"
  else
    echo "$QD_DATA_DIR"
  fi
}

start_postgres() {
  local home
  home="$(pg_home)"
  local data="$home/postgres" sock="$home/run/postgres" logs="$home/logs"
  mkdir -p "$sock" "$logs" "$QD_DATA_DIR/logs"
  if [ "$(id -u)" = 0 ]; then chown postgres "$sock" "$logs"; fi
  if [ "$home" != "$QD_DATA_DIR" ]; then
    chown postgres "$home"
    ln -sfn "$logs/postgres.log" "$QD_DATA_DIR/logs/postgres.log"
  fi
  if [ -f "$data/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "postgres already running on :$QD_PG_PORT"
    ensure_pg_role_and_db
    return 0
  fi
  if port_in_use "$QD_PG_PORT" && psql "$QD_PG_ADMIN_URL" -qAtX -c 'SELECT 1' >/dev/null 2>&1; then
    log "using the Postgres already serving :$QD_PG_PORT"
    ensure_pg_role_and_db
    return 0
  fi
  require_free_port postgres "$QD_PG_PORT"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising a Postgres cluster in $data"
    mkdir -p "$data"
    if [ "$(id -u)" = 0 ]; then chown postgres "$data"; fi
    as_postgres test -w "$data" || die "user postgres cannot write $data (a parent folder is not traversable?)"
    # trust on loopback only: a developer cluster; production passes credentials in QD_PG_URL.
    as_postgres "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 >/dev/null
  fi
  as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$logs/postgres.log" -w -t 60 \
    -o "-p $QD_PG_PORT -k $sock -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  QD_STARTED+=(postgres)
  log "postgres up on :$QD_PG_PORT"
  ensure_pg_role_and_db
}

ensure_pg_role_and_db() {
  psql "$QD_PG_ADMIN_URL" -qAtX -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SELECT 'CREATE ROLE quantdesk LOGIN CREATEDB CREATEROLE' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'quantdesk') \gexec
ALTER ROLE quantdesk CREATEROLE;
SELECT 'CREATE DATABASE quantdesk OWNER quantdesk' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'quantdesk') \gexec
SQL
}

stop_postgres() { as_postgres "$PG_BIN/pg_ctl" -D "$(pg_home)/postgres" -m fast -w stop >/dev/null 2>&1 || true; }

# --- Redis -----------------------------------------------------------------------------------------
start_redis() {
  local dir="$QD_DATA_DIR/redis" pidfile="$RUN_DIR/redis.pid"
  mkdir -p "$dir" "$RUN_DIR" "$QD_DATA_DIR/logs"
  if pid_alive "$pidfile"; then log "redis already running on :$QD_REDIS_PORT"; return 0; fi
  if port_in_use "$QD_REDIS_PORT" && [ "$(redis-cli -p "$QD_REDIS_PORT" ping 2>/dev/null)" = PONG ]; then
    log "using the Redis already serving :$QD_REDIS_PORT"
    return 0
  fi
  require_free_port redis "$QD_REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$QD_REDIS_PORT" --dir "$dir" --appendonly yes \
    --daemonize yes --pidfile "$pidfile" --logfile "$QD_DATA_DIR/logs/redis.log" --save 60 1000
  wait_for_port redis "$QD_REDIS_PORT" 20
  QD_STARTED+=(redis)
  log "redis up on :$QD_REDIS_PORT"
}

stop_redis() {
  local pidfile="$RUN_DIR/redis.pid"
  pid_alive "$pidfile" || return 0
  kill "$(cat "$pidfile")" 2>/dev/null || true
  local i; for ((i = 0; i < 100; i++)); do pid_alive "$pidfile" || return 0; sleep 0.1; done
}

# --- Temporal, either server -----------------------------------------------------------------------
# False (1) when a server of ours runs already or another healthy one serves the port (it is reused).
temporal_needs_start() { # pidfile
  if pid_alive "$1"; then log "temporal already running on :$QD_TEMPORAL_PORT"; return 1; fi
  if port_in_use "$QD_TEMPORAL_PORT" && "$QD_TEMPORAL_CLI" operator cluster health --address "$QD_TEMPORAL_ADDRESS" >/dev/null 2>&1; then
    log "using the Temporal server already serving :$QD_TEMPORAL_PORT"
    return 1
  fi
  require_free_port "temporal frontend" "$QD_TEMPORAL_PORT"
  require_free_port "temporal UI" "$QD_TEMPORAL_UI_PORT"
}

await_temporal_healthy() { # pidfile
  wait_for_port temporal "$QD_TEMPORAL_PORT" 60
  local i
  for ((i = 0; i < 300; i++)); do
    "$QD_TEMPORAL_CLI" operator cluster health --address "$QD_TEMPORAL_ADDRESS" >/dev/null 2>&1 && return 0
    pid_alive "$1" || die "temporal exited (see $QD_DATA_DIR/logs/temporal.log)"
    sleep 0.2
  done
  die "temporal did not become healthy within 60 s (see $QD_DATA_DIR/logs/temporal.log)"
}

# Stops a process group started with setsid: TERM, then KILL after 15 s.
stop_process_group() { # pidfile
  pid_alive "$1" || return 0
  kill -TERM -- "-$(cat "$1")" 2>/dev/null || kill "$(cat "$1")" 2>/dev/null || true
  local i; for ((i = 0; i < 150; i++)); do pid_alive "$1" || return 0; sleep 0.1; done
  kill -KILL -- "-$(cat "$1")" 2>/dev/null || true
}

# --- Temporal dev server (SQLite file in QD_DATA_DIR: state survives restarts) ---------------------
start_temporal_dev() {
  local dir="$QD_DATA_DIR/temporal" pidfile="$RUN_DIR/temporal.pid"
  mkdir -p "$dir" "$RUN_DIR" "$QD_DATA_DIR/logs"
  temporal_needs_start "$pidfile" || return 0
  local sa=() name dyn=()
  for name in QdAccount QdMarket QdKind QdStatus; do sa+=(--search-attribute "$name=Keyword"); done
  [ -z "${QD_TEMPORAL_HISTORY_LIMIT:-}" ] || dyn+=(--dynamic-config-value "limit.historyCount.error=$QD_TEMPORAL_HISTORY_LIMIT" \
    --dynamic-config-value "limit.historyCount.warn=$((QD_TEMPORAL_HISTORY_LIMIT / 2))")
  setsid "$QD_TEMPORAL_CLI" server start-dev --ip 127.0.0.1 --port "$QD_TEMPORAL_PORT" \
    --ui-port "$QD_TEMPORAL_UI_PORT" --db-filename "$dir/temporal.db" --metrics-port "$QD_TEMPORAL_METRICS_PORT" \
    --namespace "$QD_TEMPORAL_NAMESPACE" "${sa[@]}" --log-level warn \
    --dynamic-config-value system.enableActivityEagerExecution=true \
    --dynamic-config-value system.forceSearchAttributesCacheRefreshOnRead=true \
    --dynamic-config-value frontend.searchAttributesSizeOfValueLimit=8192 "${dyn[@]}" \
    >>"$QD_DATA_DIR/logs/temporal.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  await_temporal_healthy "$pidfile"
  QD_STARTED+=(temporal)
  log "temporal up on :$QD_TEMPORAL_PORT (UI http://127.0.0.1:$QD_TEMPORAL_UI_PORT)"
}

stop_temporal_dev() { stop_process_group "$RUN_DIR/temporal.pid"; }

# --- the real Temporal server on our Postgres (QD_TEMPORAL_SERVER=postgres) --------------------------
# Its own ports beside the frontend (7233) and the UI (8233): membership and internal gRPC at 7234-7239,
# HTTP at 7243, Prometheus metrics at 7250.
temporal_server_env() {
  export QD_TEMPORAL_SERVER_DIR="$QD_DATA_DIR/temporal-server"
  export QD_TEMPORAL_HTTP_PORT="${QD_TEMPORAL_HTTP_PORT:-7243}"
  export QD_TEMPORAL_MEMBERSHIP_BASE="${QD_TEMPORAL_MEMBERSHIP_BASE:-6933}"
  export QD_TEMPORAL_HISTORY_PORT=7234 QD_TEMPORAL_HISTORY_MEMBERSHIP_PORT=6934
  export QD_TEMPORAL_MATCHING_PORT=7235 QD_TEMPORAL_MATCHING_MEMBERSHIP_PORT=6935
  export QD_TEMPORAL_WORKER_PORT=7239 QD_TEMPORAL_WORKER_MEMBERSHIP_PORT=6939
}

# The databases temporal and temporal_visibility, created and migrated by temporal-sql-tool (idempotent:
# update-schema moves an existing schema forward, a current one is left as it is).
ensure_temporal_databases() {
  local sql="$QD_CACHE_DIR/temporal-sql-tool/sql" db schema
  for db in temporal temporal_visibility; do
    schema=temporal; [ "$db" = temporal_visibility ] && schema=visibility
    local args=(--plugin postgres12 --ep 127.0.0.1 -p "$QD_PG_PORT" -u postgres --db "$db")
    if ! psql "$QD_PG_ADMIN_URL" -qAtX -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      log "creating the Temporal database $db ($QD_TEMPORAL_SHARDS history shards)"
      "$sql" "${args[@]}" create-database >/dev/null 2>&1 || die "creating the Temporal database $db failed"
      "$sql" "${args[@]}" setup-schema -v 0.0 >/dev/null 2>&1 || die "setting up the Temporal database $db failed"
    fi
    "$sql" "${args[@]}" update-schema --schema-name "postgresql/v12/$schema" >/dev/null 2>&1 \
      || die "migrating the Temporal database $db failed"
  done
}

start_temporal_postgres() {
  temporal_server_env
  local dir="$QD_TEMPORAL_SERVER_DIR" pidfile="$RUN_DIR/temporal.pid" uipid="$RUN_DIR/temporal-ui.pid"
  mkdir -p "$dir/config" "$dir/ui/config" "$RUN_DIR" "$QD_DATA_DIR/logs"
  temporal_needs_start "$pidfile" || return 0
  ensure_temporal_databases
  envsubst <"$QD_ROOT/temporal/server/postgres.yaml" >"$dir/config/development.yaml"
  cp "$QD_ROOT/temporal/server/dynamicconfig.yaml" "$dir/dynamicconfig.yaml"
  if [ -n "${QD_TEMPORAL_HISTORY_LIMIT:-}" ]; then
    printf 'limit.historyCount.error:\n  - value: %d\nlimit.historyCount.warn:\n  - value: %d\n' \
      "$QD_TEMPORAL_HISTORY_LIMIT" "$((QD_TEMPORAL_HISTORY_LIMIT / 2))" >>"$dir/dynamicconfig.yaml"
  fi
  envsubst <"$QD_ROOT/temporal/server/ui.yaml" >"$dir/ui/config/development.yaml"
  setsid "$QD_CACHE_DIR/temporal-server/server" --root "$dir" --config config --env development --allow-no-auth start \
    >>"$QD_DATA_DIR/logs/temporal.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  await_temporal_healthy "$pidfile"
  setsid "$QD_CACHE_DIR/temporal-ui/server" --root "$dir/ui" --config config --env development start \
    >>"$QD_DATA_DIR/logs/temporal-ui.log" 2>&1 </dev/null &
  echo $! >"$uipid"
  wait_for_port "temporal UI" "$QD_TEMPORAL_UI_PORT" 30
  QD_STARTED+=(temporal)
  log "temporal (real server, $QD_TEMPORAL_SHARDS shards on Postgres) up on :$QD_TEMPORAL_PORT (UI http://127.0.0.1:$QD_TEMPORAL_UI_PORT)"
}

stop_temporal_postgres() {
  stop_process_group "$RUN_DIR/temporal-ui.pid"
  stop_process_group "$RUN_DIR/temporal.pid"
}

start_temporal() {
  case "$QD_TEMPORAL_SERVER" in
    dev) start_temporal_dev ;;
    postgres) start_temporal_postgres ;;
    *) die "QD_TEMPORAL_SERVER must be dev or postgres (is $QD_TEMPORAL_SERVER)" ;;
  esac
}

stop_temporal() { if [ "$QD_TEMPORAL_SERVER" = postgres ]; then stop_temporal_postgres; else stop_temporal_dev; fi; }

start_services() { start_postgres; start_redis; start_temporal; }

# --- Prometheus and Alertmanager ---------------------------------------------------------------------
# The configuration in monitoring/ rendered into QD_DATA_DIR/monitoring; Alertmanager posts to the API's
# webhook with a token of its own, made once and kept there (the API gets it as QD_ALERT_WEBHOOK_TOKEN).
monitoring_env() {
  export QD_MONITORING_DIR="$QD_DATA_DIR/monitoring"
  export QD_ALERT_WEBHOOK_TOKEN_FILE="$QD_MONITORING_DIR/webhook-token"
  export QD_ALERT_WEBHOOK_URL="${QD_ALERT_WEBHOOK_URL:-http://127.0.0.1:$QD_API_PORT/v1/admin/alerts/webhook}"
  mkdir -p "$QD_MONITORING_DIR/prometheus" "$QD_MONITORING_DIR/alertmanager" "$RUN_DIR" "$QD_DATA_DIR/logs"
  if [ ! -s "$QD_ALERT_WEBHOOK_TOKEN_FILE" ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$QD_ALERT_WEBHOOK_TOKEN_FILE")
  fi
  QD_ALERT_WEBHOOK_TOKEN="$(cat "$QD_ALERT_WEBHOOK_TOKEN_FILE")"
  export QD_ALERT_WEBHOOK_TOKEN
}

# Renders the configuration and checks it with Debian's own tools (promtool, amtool).
render_monitoring_config() {
  monitoring_env
  envsubst <"$QD_ROOT/monitoring/prometheus.yml" >"$QD_MONITORING_DIR/prometheus.yml"
  envsubst <"$QD_ROOT/monitoring/alertmanager.yml" >"$QD_MONITORING_DIR/alertmanager.yml"
  promtool check config --syntax-only "$QD_MONITORING_DIR/prometheus.yml" >/dev/null \
    || die "monitoring/prometheus.yml does not render to a valid configuration"
  amtool check-config "$QD_MONITORING_DIR/alertmanager.yml" >/dev/null \
    || die "monitoring/alertmanager.yml does not render to a valid configuration"
}

start_monitoring() {
  if [ "$QD_MONITORING" = off ]; then log "monitoring off (QD_MONITORING=off): no Prometheus, no Alertmanager"; return 0; fi
  render_monitoring_config
  local dir="$QD_MONITORING_DIR"
  if pid_alive "$RUN_DIR/prometheus.pid"; then
    log "prometheus already running on :$QD_PROMETHEUS_PORT (reloading its configuration)"
    kill -HUP "$(cat "$RUN_DIR/prometheus.pid")" 2>/dev/null || true
  else
    require_free_port prometheus "$QD_PROMETHEUS_PORT"
    setsid prometheus --config.file "$dir/prometheus.yml" --storage.tsdb.path "$dir/prometheus" \
      --storage.tsdb.retention.time 15d --web.listen-address "127.0.0.1:$QD_PROMETHEUS_PORT" \
      >>"$QD_DATA_DIR/logs/prometheus.log" 2>&1 </dev/null &
    echo $! >"$RUN_DIR/prometheus.pid"
    wait_for_port prometheus "$QD_PROMETHEUS_PORT" 30
    QD_STARTED+=(prometheus)
    log "prometheus up on :$QD_PROMETHEUS_PORT"
  fi
  if pid_alive "$RUN_DIR/alertmanager.pid"; then
    log "alertmanager already running on :$QD_ALERTMANAGER_PORT (reloading its configuration)"
    kill -HUP "$(cat "$RUN_DIR/alertmanager.pid")" 2>/dev/null || true
  else
    require_free_port alertmanager "$QD_ALERTMANAGER_PORT"
    # --cluster.listen-address= : one Alertmanager, no gossip port.
    setsid prometheus-alertmanager --config.file "$dir/alertmanager.yml" --storage.path "$dir/alertmanager" \
      --web.listen-address "127.0.0.1:$QD_ALERTMANAGER_PORT" --cluster.listen-address= \
      >>"$QD_DATA_DIR/logs/alertmanager.log" 2>&1 </dev/null &
    echo $! >"$RUN_DIR/alertmanager.pid"
    wait_for_port alertmanager "$QD_ALERTMANAGER_PORT" 30
    QD_STARTED+=(alertmanager)
    log "alertmanager up on :$QD_ALERTMANAGER_PORT"
  fi
}

stop_prometheus() { stop_process_group "$RUN_DIR/prometheus.pid"; }
stop_alertmanager() { stop_process_group "$RUN_DIR/alertmanager.pid"; }

# Stops, in reverse order, only what this invocation started.
stop_started_services() {
  local i
  for ((i = ${#QD_STARTED[@]} - 1; i >= 0; i--)); do
    log "stopping ${QD_STARTED[$i]}"
    "stop_${QD_STARTED[$i]}"
  done
  QD_STARTED=()
}
