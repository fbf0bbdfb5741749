#!/usr/bin/env bash
# `npm run bench`: every benchmark, each printing one JSON document; results also go to bench-results/.
# Starts the services the benchmarks need (reusing running ones) and stops what it started.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$QD_ROOT"
ensure_node_deps
ensure_temporal_cli
ensure_localnet
trap stop_started_services EXIT
start_services
npx tsx scripts/setup.ts >/dev/null
mkdir -p bench-results
for bench in bench/*.bench.ts; do
  name="$(basename "$bench" .bench.ts)"
  log "benchmark $name"
  npx tsx "$bench" | tee "bench-results/$name.json"
done
