#!/usr/bin/env bash
# As root, from a checkout in a private home folder (mode 700, as Debian makes root's): Postgres, which runs
# as user postgres and cannot enter such a folder, must still start, take connections and stop. Run by
# `npm test` when it runs as root; a cluster on a spare port, removed afterwards.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "not root: nothing to check"; exit 0; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home="$(mktemp -d /tmp/qd-private-home.XXXXXX)"
chmod 700 "$home"
export QD_DATA_DIR="$home/checkout/.data" QD_PG_PORT=55439
export QD_PG_ADMIN_URL="postgres://postgres@127.0.0.1:$QD_PG_PORT/postgres"
mkdir -p "$QD_DATA_DIR"
cleanup() {
  bash -c "source '$root/scripts/lib.sh'; stop_postgres; rm -rf \"\$(pg_home)\"" || true
  rm -rf "$home"
}
trap cleanup EXIT
bash -c "source '$root/scripts/lib.sh'; start_postgres"
psql "$QD_PG_ADMIN_URL" -qAtX -c 'SELECT 1' | grep -qx 1
psql "postgres://quantdesk@127.0.0.1:$QD_PG_PORT/quantdesk" -qAtX -c 'SELECT current_user' | grep -qx quantdesk
echo "private home: Postgres started from a mode-700 folder as root, took connections, stopped"
