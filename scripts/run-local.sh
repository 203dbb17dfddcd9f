#!/usr/bin/env bash
# Runs Ferry locally on a fresh Debian/Ubuntu machine: installs what it needs, builds
# in release mode and serves on 127.0.0.1 (port 5000 unless FERRY_LISTEN_PORT is set)
# with the cache under ./.ferry/data. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
echo "building ferry (release; the first build takes several minutes)..."
swift build -c release --product ferry

port=${FERRY_LISTEN_PORT:-5000}
data=${FERRY_DATA_DIR:-$PWD/.ferry/data}
mkdir -p "$data"

cat <<TEXT

Ferry is starting on http://127.0.0.1:$port (cache: $data). Pull through it with:

  skopeo copy --src-tls-verify=false docker://127.0.0.1:$port/library/alpine:latest dir:/tmp/alpine
  skopeo copy --src-tls-verify=false docker://127.0.0.1:$port/quay.io/coreos/etcd:v3.5.0 dir:/tmp/etcd
  skopeo copy --src-tls-verify=false docker://127.0.0.1:$port/registry.k8s.io/pause:3.9 dir:/tmp/pause

or point docker at it (/etc/docker/daemon.json, then restart dockerd):

  {"registry-mirrors": ["http://127.0.0.1:$port"], "insecure-registries": ["127.0.0.1:$port"]}

TEXT
exec .build/release/ferry serve --host 127.0.0.1 --port "$port" --data-dir "$data"
