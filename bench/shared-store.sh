#!/usr/bin/env bash
# What the shared store (storage.backend: s3) costs and gives, against references, in
# one run on this machine: a CNCF registry in proxy mode (cold), radosgw itself through
# a presigned URL (what a redirect gives), and Ferry's local disk (a warm hit).
#
#   cold GET, 1 client        CNCF proxy | Ferry, local disk only | Ferry, s3 (fills and uploads)
#   second level, 1 client    a new Ferry with an empty disk reading the bucket | presigned GET
#   second level, 8 clients   8 clients at once on a replica with an empty disk | 8 presigned GETs
#   warm hit, 1 client        Ferry's local disk
#
# Everything runs on loopback (Debian's radosgw on a sparse file, PostgreSQL, the
# registries), so the figures compare software, not networks.
#
# Usage: bench/shared-store.sh [FERRY_BINARY] [--big-mib N]   (default .build/release/ferry, 512)
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
ferry=$here/.build/release/ferry
big_mib=512
while [[ $# -gt 0 ]]; do
    case "$1" in
        --big-mib) big_mib=$2; shift 2 ;;
        -*) echo "shared-store: unknown option $1" >&2; exit 2 ;;
        *) ferry=$1; shift ;;
    esac
done
[[ -x "$ferry" ]] || { echo "shared-store: $ferry is not an executable (build with swift build -c release)" >&2; exit 1; }
scripts/install-deps.sh --bench

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-shared-bench.XXXXXX")
origin_port=16200 proxy_port=16201 ferry_port=16202 postgres_port=16211
pids=()
# shellcheck source=bench/common.sh
source bench/common.sh
cleanup() {
    stop_pids
    scripts/local-postgres.sh stop "$work/postgres" >/dev/null 2>&1 || true
    scripts/ceph-rgw.sh stop "$work/rgw" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "shared-store: images (big layer $big_mib MiB), registries, PostgreSQL, radosgw..." >&2
python3 scripts/make-test-images.py "$work/images" --big-mib "$big_mib" >/dev/null
registry origin "$origin_port"
registry cncf-proxy "$proxy_port" "http://127.0.0.1:$origin_port"
skopeo copy --quiet --dest-tls-verify=false "oci:$work/images/big:v1" "docker://127.0.0.1:$origin_port/bench/big:v1"
digest=$(first_layer_digest "$work/images/big")
database_base=$(scripts/local-postgres.sh start "$work/postgres" "$postgres_port")
scripts/ceph-rgw.sh start "$work/rgw" >"$work/rgw.log" 2>&1 || { tail -20 "$work/rgw.log" >&2; exit 1; }
# shellcheck disable=SC1091
source "$work/rgw/s3.env"

# A fresh database for a Ferry on the bucket: its index starts empty.
fresh_database() {
    local name="bench_$RANDOM$RANDOM"
    psql -q "$database_base" -c "CREATE DATABASE $name" >/dev/null
    echo "${database_base%/*}/$name?sslmode=disable"
}
# Starts Ferry (open mode) on a new empty data directory; $1 = filesystem | s3, $2 = the
# database (s3), $3 = extra environment (VAR=value ...).
start_ferry() {
    local backend=$1 database=${2:-} data
    data=$(mktemp -d "$work/data.XXXXXX")
    local environment=(FERRY_ACCESS_MODE=open FERRY_UPSTREAMS=origin FERRY_UPSTREAM_ORIGIN_REGISTRY=origin.test
        FERRY_UPSTREAM_ORIGIN_URL="http://127.0.0.1:$origin_port" FERRY_LOG_LEVEL=warning FERRY_MIGRATIONS_DIR="$here/migrations")
    if [[ $backend == s3 ]]; then
        environment+=(FERRY_STORAGE_BACKEND=s3 FERRY_DATABASE_URL="$database" FERRY_STORAGE_S3_ENDPOINT="$FERRY_S3_ENDPOINT"
            FERRY_STORAGE_S3_REGION="$FERRY_S3_REGION" FERRY_STORAGE_S3_BUCKET="$FERRY_S3_BUCKET" FERRY_STORAGE_S3_PREFIX="$prefix"
            FERRY_STORAGE_S3_ACCESS_KEY="$FERRY_S3_ACCESS_KEY" FERRY_STORAGE_S3_SECRET_KEY="$FERRY_S3_SECRET_KEY")
    fi
    env "${environment[@]}" "${@:3}" "$ferry" serve --port "$ferry_port" --data-dir "$data" >>"$work/ferry.log" 2>&1 &
    ferry_pid=$!
    pids+=($ferry_pid)
    wait_up "http://127.0.0.1:$ferry_port/healthz"
}
stop_ferry() { kill "$ferry_pid" 2>/dev/null || true; wait "$ferry_pid" 2>/dev/null || true; }
ferry_blob="http://127.0.0.1:$ferry_port/v2/bench/big/blobs/$digest"
# One GET's speed in MB/s.
mbps() { curl -s -o /dev/null -w '%{speed_download}' "$@" | python3 -c 'import sys; print(round(float(sys.stdin.read()) / 1e6))'; }
# N concurrent GETs of the same URL: their aggregate MB/s (bytes over the wall time).
aggregate_mbps() {
    local n=$1 url=$2 start end clients=()
    start=$(date +%s.%N)
    for _ in $(seq 1 "$n"); do
        curl -s -o /dev/null "$url" &
        clients+=($!)
    done
    wait "${clients[@]}"
    end=$(date +%s.%N)
    python3 -c "print(round($n * $((big_mib << 20)) / ($end - $start) / 1e6))"
}
# Waits until the bucket's index holds the blob (the fill's upload completed).
wait_shared() {
    for _ in $(seq 1 600); do
        [[ $(psql -tAq "$1" -c "SELECT count(*) FROM shared_blobs WHERE digest = '$digest'") == 1 ]] && return 0
        sleep 0.1
    done
    echo "shared-store: the fill never completed in the bucket" >&2
    exit 1
}

declare -A result
prefix="bench-$RANDOM/"

result[cold-cncf]=$(mbps "http://127.0.0.1:$proxy_port/v2/bench/big/blobs/$digest")
start_ferry filesystem
result[cold-disk]=$(mbps "$ferry_blob")
result[warm-disk]=$(mbps "$ferry_blob")
stop_ferry

database=$(fresh_database)
start_ferry s3 "$database"
result[cold-s3]=$(mbps "$ferry_blob")
wait_shared "$database"
stop_ferry

# A replica with an empty disk: its first GET reads the bucket.
start_ferry s3 "$database"
result[l2-1]=$(mbps "$ferry_blob")
stop_ferry
start_ferry s3 "$database"
result[l2-8]=$(aggregate_mbps 8 "$ferry_blob")
stop_ferry

# What a redirect gives: radosgw serving a presigned URL itself.
start_ferry s3 "$database" FERRY_STORAGE_S3_REDIRECT=full-body
location=$(curl -s -o /dev/null -w '%{redirect_url}' "$ferry_blob")
[[ $location == http* ]] || { echo "shared-store: no redirect from Ferry" >&2; exit 1; }
result[presigned-1]=$(mbps "$location")
result[presigned-8]=$(aggregate_mbps 8 "$location")
stop_ferry

echo "Shared store, $(date -u +%Y-%m-%d), $(nproc) cores, release build, loopback, radosgw on a sparse file; one $big_mib MiB blob (MB/s)"
echo
echo "| | Ferry | reference |"
echo "|---|---|---|"
echo "| cold GET, 1 client: local disk only | ${result[cold-disk]} | CNCF registry proxy: ${result[cold-cncf]} |"
echo "| cold GET, 1 client: s3 backend (fill + multipart upload) | ${result[cold-s3]} | CNCF registry proxy: ${result[cold-cncf]} |"
echo "| second level, new replica with an empty disk, 1 client | ${result[l2-1]} | presigned GET from radosgw: ${result[presigned-1]} |"
echo "| second level, new replica with an empty disk, 8 clients (aggregate) | ${result[l2-8]} | 8 presigned GETs: ${result[presigned-8]} |"
echo "| warm hit on the local disk, 1 client | ${result[warm-disk]} | |"
