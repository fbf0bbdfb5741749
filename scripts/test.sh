#!/usr/bin/env bash
# `npm test`: everything that proves the platform works, in order of cost. Installs what is missing,
# starts the services the integration tests need (reusing running ones), and stops what it started.
# Ends with one line "N passed, N failed" summed over every suite.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$QD_ROOT"

RESULTS="$QD_DATA_DIR/test-results"
mkdir -p "$RESULTS"
rm -f "$RESULTS"/*.json "$RESULTS"/*.txt
STARTED_AT=$SECONDS
step() { printf '\n\033[1;35m== %s\033[0m\n' "$*" >&2; }
finish() {
  local rc=$?
  stop_started_services
  node scripts/summarize-tests.mjs "$RESULTS" || true
  log "test run took $((SECONDS - STARTED_AT)) s"
  exit $rc
}
trap finish EXIT

ensure_apt postgresql redis-server chromium prometheus prometheus-alertmanager
ensure_node_deps
ensure_temporal_cli

step "typecheck"
npx tsc -p .
npx vue-tsc -p web --noEmit

step "lint"
npx eslint --max-warnings 0 .

step "format (Prettier; rustfmt below)"
npx prettier --check .

step "secret scan"
git ls-files -co --exclude-standard -z | grep -zv -e '^package-lock.json$' -e '^drizzle/migrations/meta/' \
  | grep -zv '^programs/vendor/' | xargs -0 npx secretlint --maskSecrets

step "alert rules and monitoring configuration (promtool, amtool)"
promtool check rules monitoring/rules/*.yml
promtool test rules monitoring/tests/*.yml
render_monitoring_config

step "unit tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$RESULTS/unit.json"

if [ -f programs/Cargo.toml ]; then
  step "rustfmt and clippy"
  (cd programs && cargo fmt --check)
  cargo clippy --manifest-path programs/Cargo.toml --workspace --all-targets --locked -- -D warnings
  step "rust tests"
  RUST_LOG="${RUST_LOG:-error}" cargo test --manifest-path programs/Cargo.toml --workspace --locked 2>&1 | tee "$RESULTS/cargo.txt"
  ensure_localnet
  step "IDL is current"
  cargo_build_bin idl-gen programs/idl-gen/src/main.rs && "$CARGO_TARGET_DIR/debug/idl-gen" check
fi

step "a checkout in a private home folder (root)"
bash scripts/check-private-home.sh

step "integration tests (real Postgres, Redis, Temporal)"
# A server started here holds no history above 5,000 events: an order told of every tick would not
# survive the 10,000-tick test (placeOrderWorkflow). A server already running keeps its own limit.
QD_TEMPORAL_HISTORY_LIMIT="${QD_TEMPORAL_HISTORY_LIMIT:-5000}" start_services
npx tsx scripts/setup.ts
npx vitest run --project integration --reporter=default --reporter=json --outputFile.json="$RESULTS/integration.json"
