#!/usr/bin/env bash
# `npm start`: installs what is missing, starts Postgres, Redis, the Temporal server, Prometheus and
# Alertmanager (reusing any already running from QD_DATA_DIR), applies migrations, registers the Temporal
# namespace and search attributes, then runs the localnet, the price feed, the risk monitor, MIKEY, the worker,
# the API (:3002) and the web app (:3001) until Ctrl-C, which stops everything this command started.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHILDREN=()
shutdown() {
  trap - INT TERM EXIT
  log "shutting down"
  local pid
  for pid in "${CHILDREN[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${CHILDREN[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_started_services
  exit 0
}

launch() { # name command...
  local name="$1"; shift
  setsid "$@" > >(sed -u "s/^/[$name] /") 2>&1 </dev/null &
  CHILDREN+=($!)
}

trap shutdown INT TERM EXIT
ensure_apt postgresql redis-server
[ "$QD_MONITORING" = off ] || ensure_apt prometheus prometheus-alertmanager
ensure_node_deps
ensure_temporal_cli
ensure_localnet
require_free_port api "$QD_API_PORT"
require_free_port web "$QD_WEB_PORT"
require_free_port "localnet control" "$QD_LOCALNET_CONTROL_PORT"
for port in ${QD_LOCALNET_PORTS//,/ }; do
  require_free_port "localnet RPC" "$port"
  require_free_port "localnet WebSocket" "$((port + 1))"
done
export QD_SOLANA_RPC_URLS="${QD_SOLANA_RPC_URLS:-$(printf 'http://127.0.0.1:%s,' ${QD_LOCALNET_PORTS//,/ } | sed 's/,$//')}"
export QD_LOCALNET_CONTROL_URL="${QD_LOCALNET_CONTROL_URL:-http://127.0.0.1:$QD_LOCALNET_CONTROL_PORT}"
start_services
start_monitoring
(cd "$QD_ROOT" && npx tsx scripts/setup.ts)

cd "$QD_ROOT"
# The localnet keeps its chain in memory: every start bootstraps a fresh one (USDC, program, markets).
launch localnet "$QD_LOCALNET_BIN" --rpc-ports "$QD_LOCALNET_PORTS" --control-port "$QD_LOCALNET_CONTROL_PORT" \
  --bootstrap-out "$QD_DATA_DIR/localnet.json" --slot-ms 400
wait_for_port localnet "$QD_LOCALNET_CONTROL_PORT" 120
# The localnet's development keeper signs fills (production: a keypair file outside the repository).
export QD_KEEPER_KEYPAIR_FILE="${QD_KEEPER_KEYPAIR_FILE:-$QD_DATA_DIR/localnet.json}"
export QD_ADMIN_KEYPAIR_FILE="${QD_ADMIN_KEYPAIR_FILE:-$QD_DATA_DIR/localnet.json}"
launch price-feed npx tsx services/price-feed/main.ts
launch risk-monitor npx tsx services/risk-monitor/main.ts
launch mikey npx tsx services/mikey/main.ts
launch worker npx tsx temporal/worker.ts
launch api npx tsx api/main.ts
launch web npx vite --config web/vite.config.ts --port "$QD_WEB_PORT" --strictPort --host 127.0.0.1
wait_for_port api "$QD_API_PORT" 90
wait_for_port web "$QD_WEB_PORT" 90

cat >&2 <<MSG

  QuantDesk is running (Ctrl-C stops what this command started):
    terminal     http://127.0.0.1:$QD_WEB_PORT
    API          http://127.0.0.1:$QD_API_PORT   (health: /health)
    Temporal UI  http://127.0.0.1:$QD_TEMPORAL_UI_PORT/namespaces/$QD_TEMPORAL_NAMESPACE/workflows
    Temporal     $QD_TEMPORAL_ADDRESS  namespace $QD_TEMPORAL_NAMESPACE
    Solana RPC   $QD_SOLANA_RPC_URLS  (localnet; dev controls $QD_LOCALNET_CONTROL_URL)
    Postgres     $QD_PG_URL
    Redis        $QD_REDIS_URL
    Prometheus   http://127.0.0.1:$QD_PROMETHEUS_PORT  Alertmanager http://127.0.0.1:$QD_ALERTMANAGER_PORT  (QD_MONITORING=$QD_MONITORING)
    data         $QD_DATA_DIR

MSG
# Any child exiting ends the stack: a half-running platform is worse than a clear stop.
wait -n "${CHILDREN[@]}" || true
log "a process exited; stopping the rest"
shutdown
