#!/usr/bin/env bash
# Metering overhead (by hand, not in CI): warm blob throughput through the release build
# with plans and metering on (subscribers mode, a bearer token, every chunk metered)
# against the same build and cache in open mode, with a private PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
mib=${1:-512}
scripts/install-deps.sh --bench
swift build -c release --product ferry >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-metering.XXXXXX")
chmod 755 "$work"
origin=16020 port=16021
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    scripts/local-postgres.sh stop "$work/postgres"
    rm -rf "$work"
}
trap cleanup EXIT
wait_up() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "bench: $1 did not come up" >&2; exit 1; }

python3 scripts/make-test-images.py "$work/images" --big-mib "$mib"
printf 'version: 0.1\nlog: {level: warn, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s/origin}}\nhttp: {addr: 127.0.0.1:%s}\n' "$work" "$origin" >"$work/origin.yml"
docker-registry serve "$work/origin.yml" >/dev/null 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$origin/v2/"
skopeo copy --quiet --dest-tls-verify=false "oci:$work/images/big:v1" "docker://127.0.0.1:$origin/bench/big:v1"
digest=$(python3 -c "
import json; r='$work/images/big'; i=json.load(open(r+'/index.json')); d=i['manifests'][0]['digest'].split(':')[1]
print(json.load(open(r+'/blobs/sha256/'+d))['layers'][0]['digest'])")
bytes=$(stat -c %s "$work/images/big/blobs/sha256/${digest#sha256:}")

export FERRY_DATABASE_URL=$(scripts/local-postgres.sh start "$work/postgres" 16022)
"$here/.build/release/ferry" migrate >/dev/null
echo "horse-battery-9" | "$here/.build/release/ferry" user add bench --password-stdin >/dev/null
"$here/.build/release/ferry" subscription start bench --plan pro >/dev/null
"$here/.build/release/ferry" plan edit pro --quota 100TiB --rpm 100000 --concurrency 64 >/dev/null

serve() {
    FERRY_UPSTREAMS=origin FERRY_UPSTREAM_ORIGIN_REGISTRY=origin.test FERRY_UPSTREAM_ORIGIN_URL="http://127.0.0.1:$origin" FERRY_LOG_LEVEL=warning \
        "$here/.build/release/ferry" serve --port "$port" --data-dir "$work/data" "$@" >/dev/null 2>&1 &
    ferry_pid=$!
    pids+=($ferry_pid)
    wait_up "http://127.0.0.1:$port/v2/"
}

# MB/s for `clients` parallel downloads, median of 5 rounds.
measure() {
    local clients=$1; shift
    for _ in 1 2 3 4 5; do
        local start end list=()
        start=$(date +%s.%N)
        for _ in $(seq 1 "$clients"); do curl -s -o /dev/null "$@" "http://127.0.0.1:$port/v2/bench/big/blobs/$digest" & list+=($!); done
        wait "${list[@]}"
        end=$(date +%s.%N)
        python3 -c "print(round($clients * $bytes / ($end - $start) / 1e6))"
    done | sort -n | sed -n 3p
}

serve --access-mode open
curl -s -o /dev/null "http://127.0.0.1:$port/v2/bench/big/blobs/$digest"   # fill the cache
open1=$(measure 1); open8=$(measure 8)
kill "$ferry_pid"; wait "$ferry_pid" 2>/dev/null || true

serve
token=$(curl -s -u bench:horse-battery-9 "http://127.0.0.1:$port/token?service=127.0.0.1:$port&scope=repository:bench/big:pull" | python3 -c "import json,sys; print(json.load(sys.stdin)['token'])")
metered1=$(measure 1 -H "Authorization: Bearer $token"); metered8=$(measure 8 -H "Authorization: Bearer $token")
kill "$ferry_pid"; wait "$ferry_pid" 2>/dev/null || true
served=$(psql "$FERRY_DATABASE_URL" -tAc "SELECT SUM(bytes_served) FROM usage_daily")

echo "Metering overhead, $(date -u +%Y-%m-%d), $(nproc) cores, release build, warm $((bytes / 1048576)) MiB blob"
echo "open mode:           1 client $open1 MB/s, 8 clients $open8 MB/s"
echo "metered subscribers: 1 client $metered1 MB/s, 8 clients $metered8 MB/s"
echo "overhead: $(python3 -c "print(round(100 * (1 - $metered1 / $open1), 1))")% (1 client), $(python3 -c "print(round(100 * (1 - $metered8 / $open8), 1))")% (8 clients)"
echo "metered bytes $served for $((45 * bytes)) bytes downloaded ($(python3 -c "print(round($served / (45 * $bytes), 6))"))"
