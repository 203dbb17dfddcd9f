#!/usr/bin/env bash
# The front door's cost, run by hand (not in CI): two ferry binaries (before and after a
# change) side by side in one run, alternating, in subscribers mode over one private
# PostgreSQL and one origin CNCF registry:
#   - manifest GETs by tag with a bearer token (wrk, 16 connections, 8 s),
#   - warm GETs of a 512 MiB blob (1 client, curl, median of 3),
#   - and open mode's manifest rate for reference.
# With --profile, also samples the AFTER binary's CPU during the subscriber manifest
# load (perf record -e cpu-clock) and prints the top symbols.
#
# Usage: bench/frontdoor.sh BEFORE_BINARY AFTER_BINARY [--rounds N] [--big-mib N] [--profile]
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?usage: bench/frontdoor.sh BEFORE_BINARY AFTER_BINARY [--rounds N] [--big-mib N] [--profile]}
after=${2:?usage: bench/frontdoor.sh BEFORE_BINARY AFTER_BINARY [--rounds N] [--big-mib N] [--profile]}
shift 2
rounds=3 big_mib=512 profile=false
while (($#)); do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --big-mib) big_mib=$2; shift 2 ;;
        --profile) profile=true; shift ;;
        *) echo "frontdoor: unknown option $1" >&2; exit 2 ;;
    esac
done
for binary in "$before" "$after"; do [[ -x "$binary" ]] || { echo "frontdoor: $binary is not an executable" >&2; exit 1; }; done
scripts/install-deps.sh --bench

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-frontdoor.XXXXXX")
origin_port=16100 ferry_port=16102 postgres_port=16111
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    scripts/local-postgres.sh stop "$work/postgres" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
wait_up() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "frontdoor: $1 did not come up" >&2; exit 1; }

echo "frontdoor: images (big layer $big_mib MiB), origin registry, PostgreSQL..."
python3 scripts/make-test-images.py "$work/images" --big-mib "$big_mib" >/dev/null
cat >"$work/origin.yml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/origin}}
http: {addr: 127.0.0.1:$origin_port}
YAML
docker-registry serve "$work/origin.yml" >"$work/origin.log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$origin_port/v2/"
skopeo copy --quiet --dest-tls-verify=false "oci:$work/images/small:v1" "docker://127.0.0.1:$origin_port/bench/small:v1"
skopeo copy --quiet --dest-tls-verify=false "oci:$work/images/big:v1" "docker://127.0.0.1:$origin_port/bench/big:v1"
big_digest=$(python3 - "$work/images/big" <<'PY'
import json, sys
layout = sys.argv[1]
index = json.load(open(f"{layout}/index.json"))
manifest = json.load(open(f"{layout}/blobs/sha256/{index['manifests'][0]['digest'].split(':')[1]}"))
print(manifest["layers"][0]["digest"])
PY
)
big_bytes=$(stat -c %s "$work/images/big/blobs/sha256/${big_digest#sha256:}")

export FERRY_DATABASE_URL
FERRY_DATABASE_URL=$(scripts/local-postgres.sh start "$work/postgres" "$postgres_port")
"$after" migrate >/dev/null
echo "bench-password-1" | "$after" user add alice --password-stdin >/dev/null
"$after" plan add bench --price 1.00 --quota 1000TiB --rpm 100000000 --manifest-pulls 1000000000/1h --concurrency 64 >/dev/null
"$after" subscription start alice --plan bench >/dev/null

accept="Accept: application/vnd.oci.image.manifest.v1+json"
manifest_url="http://127.0.0.1:$ferry_port/v2/bench/small/manifests/v1"
blob_url="http://127.0.0.1:$ferry_port/v2/bench/big/blobs/$big_digest"

# Starts `$1` in mode `$2` (subscribers or open) on a fresh data directory.
start_ferry() {
    rm -rf "$work/data"
    FERRY_ACCESS_MODE=$2 FERRY_UPSTREAMS=origin FERRY_UPSTREAM_ORIGIN_REGISTRY=origin.test FERRY_UPSTREAM_ORIGIN_URL="http://127.0.0.1:$origin_port" \
        FERRY_LOG_LEVEL=warning "$1" serve --port "$ferry_port" --data-dir "$work/data" >"$work/ferry.log" 2>&1 &
    ferry_pid=$!
    pids+=($ferry_pid)
    wait_up "http://127.0.0.1:$ferry_port/healthz"
}
stop_ferry() { kill "$ferry_pid" 2>/dev/null || true; wait "$ferry_pid" 2>/dev/null || true; }
token() {
    curl -s -u alice:bench-password-1 "http://127.0.0.1:$ferry_port/token?service=127.0.0.1:$ferry_port&scope=repository:bench/small:pull&scope=repository:bench/big:pull" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
# Manifest GETs by tag per second (wrk, 16 connections, 8 s), failing on any non-200.
manifest_rps() {
    local output
    output=$(wrk -t2 -c16 -d8s "$@" -H "$accept" "$manifest_url" 2>&1)
    if grep -q "Non-2xx" <<<"$output"; then echo "frontdoor: non-200 answers: $output" >&2; exit 1; fi
    python3 -c 'import re,sys; print(round(float(re.search(r"Requests/sec:\s+([\d.]+)", sys.stdin.read()).group(1))))' <<<"$output"
}
# Warm 512 MiB blob GET, one client, MB/s (median of 3).
blob_mbps() {
    for _ in 1 2 3; do
        curl -s -o /dev/null -w '%{speed_download}\n' "$@" "$blob_url"
    done | sort -n | sed -n 2p | python3 -c 'import sys; print(round(float(sys.stdin.read()) / 1e6))'
}

declare -A results
for round in $(seq 1 "$rounds"); do
    for name in before after; do
        binary=$before; [[ $name == after ]] && binary=$after
        start_ferry "$binary" subscribers
        bearer="Authorization: Bearer $(token)"
        curl -s -o /dev/null -H "$bearer" -H "$accept" "$manifest_url"
        curl -s -o /dev/null -H "$bearer" "$blob_url"
        results[$name-manifests]+="$(manifest_rps -H "$bearer") "
        results[$name-blob]+="$(blob_mbps -H "$bearer") "
        stop_ferry
        start_ferry "$binary" open
        curl -s -o /dev/null -H "$accept" "$manifest_url"
        results[$name-open]+="$(manifest_rps) "
        stop_ferry
        echo "frontdoor: round $round $name: subscribers ${results[$name-manifests]##* }... done"
    done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
all() { echo "$1" | xargs | tr ' ' ','; }
echo
echo "Front door, $(date -u +%Y-%m-%d), $(nproc) cores, release builds, $rounds alternating rounds (median; all runs in brackets)"
echo
echo "| | before | after | after/before |"
echo "|---|---|---|---|"
for metric in manifests open blob; do
    b=$(echo "${results[before-$metric]}" | median) a=$(echo "${results[after-$metric]}" | median)
    label=$([[ $metric == manifests ]] && echo "subscriber manifest GETs by tag (req/s)" || { [[ $metric == open ]] && echo "open-mode manifest GETs by tag (req/s)" || echo "warm ${big_mib} MiB blob GET, 1 client (MB/s)"; })
    echo "| $label | $b [$(all "${results[before-$metric]}")] | $a [$(all "${results[after-$metric]}")] | $(python3 -c "print(f'{$a/$b:.2f}')") |"
done
b=$(echo "${results[after-manifests]}" | median) o=$(echo "${results[after-open]}" | median)
echo
echo "After: subscriber mode runs manifests at $(python3 -c "print(f'{$b/$o:.2f}')")x the open-mode rate."

if $profile; then
    command -v perf >/dev/null || { echo "frontdoor: perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
    start_ferry "$after" subscribers
    bearer="Authorization: Bearer $(token)"
    curl -s -o /dev/null -H "$bearer" -H "$accept" "$manifest_url"
    perf record -q -e cpu-clock -F 999 -g -p "$ferry_pid" -o "$work/perf.data" -- sleep 8 &
    perf_pid=$!
    wrk -t2 -c16 -d8s -H "$bearer" -H "$accept" "$manifest_url" >/dev/null 2>&1
    wait "$perf_pid" || true
    stop_ferry
    echo
    echo "Where the AFTER binary's CPU goes (subscriber manifest GETs, perf cpu-clock samples, self time, top 25):"
    perf report -i "$work/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -25 | swift demangle --simplified
fi
