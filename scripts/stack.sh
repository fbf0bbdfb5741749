#!/usr/bin/env bash
# `npm start`: installs what is missing, starts Postgres, Redis and the Temporal dev server (reusing any
# already running from QD_DATA_DIR), applies migrations, registers the Temporal namespace and search
# attributes, then runs the worker, the API (:3002) and the web app (:3001) until Ctrl-C, which stops
# everything this command started.
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
ensure_node_deps
ensure_temporal_cli
require_free_port api "$QD_API_PORT"
require_free_port web "$QD_WEB_PORT"
start_services
(cd "$QD_ROOT" && npx tsx scripts/setup.ts)

cd "$QD_ROOT"
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
    Postgres     $QD_PG_URL
    Redis        $QD_REDIS_URL
    data         $QD_DATA_DIR

MSG
# Any child exiting ends the stack: a half-running platform is worse than a clear stop.
wait -n "${CHILDREN[@]}" || true
log "a process exited; stopping the rest"
shutdown
