#!/usr/bin/env bash
# Runs Ferry locally on a fresh Debian/Ubuntu machine: installs what it needs, builds
# in release mode, starts a private PostgreSQL (unless FERRY_DATABASE_URL is set),
# migrates, creates a first subscriber, and serves on 127.0.0.1 (port 5000 unless
# FERRY_LISTEN_PORT is set) with the cache under ./.ferry/data. Ctrl-C stops Ferry.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
echo "building ferry (release; the first build takes several minutes)..."
swift build -c release --product ferry
ferry=$PWD/.build/release/ferry

state=$PWD/.ferry
port=${FERRY_LISTEN_PORT:-5000}
data=${FERRY_DATA_DIR:-$state/data}
mkdir -p "$data"

if [[ -z "${FERRY_DATABASE_URL:-}" ]]; then
    FERRY_DATABASE_URL=$(scripts/local-postgres.sh start "$state/postgres" "${FERRY_POSTGRES_PORT:-15433}")
    echo "private PostgreSQL running (stop it with: scripts/local-postgres.sh stop $state/postgres)"
fi
export FERRY_DATABASE_URL
"$ferry" migrate

user=${FERRY_FIRST_USER:-demo}
password_file=$state/$user.password
if ! "$ferry" user show "$user" >/dev/null 2>&1; then
    "$ferry" user add "$user" | sed -n 's/^password: //p' >"$password_file"
    chmod 600 "$password_file"
fi
# Only subscribers pull: give the first one a month on the basic plan.
"$ferry" subscription show "$user" >/dev/null 2>&1 || "$ferry" subscription start "$user" --plan basic

cat <<TEXT

Ferry is starting on http://127.0.0.1:$port (cache: $data).
Subscriber "$user" (basic plan); password in $password_file (reset: $ferry user passwd $user).

  docker login 127.0.0.1:$port -u $user --password-stdin < $password_file
  skopeo copy --src-tls-verify=false --src-creds $user:\$(cat $password_file) docker://127.0.0.1:$port/library/alpine:latest dir:/tmp/alpine
  skopeo copy --src-tls-verify=false --src-creds $user:\$(cat $password_file) docker://127.0.0.1:$port/quay.io/coreos/etcd:v3.5.0 dir:/tmp/etcd

More subscribers: $ferry user add NAME (with FERRY_DATABASE_URL=$FERRY_DATABASE_URL).

TEXT
exec "$ferry" serve --host 127.0.0.1 --port "$port" --data-dir "$data"
