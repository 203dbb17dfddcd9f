#!/usr/bin/env bash
# Cold fills, run by hand (not in CI): one GET of a blob no cache holds yet, through two
# ferry binaries (before and after a change) and through the CNCF registry in proxy mode,
# alternating, in one run. Each fill starts from an empty cache (a new data directory,
# a new proxy storage); the origin is a CNCF registry on loopback. Open mode, local disk.
#
# Usage: bench/cold-fill.sh BEFORE_BINARY AFTER_BINARY [--rounds N] [--big-mib N]
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bench/cold-fill.sh BEFORE_BINARY AFTER_BINARY [--rounds N] [--big-mib N]"
before=${1:?$usage}
after=${2:?$usage}
shift 2
rounds=3 big_mib=512
while (($#)); do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --big-mib) big_mib=$2; shift 2 ;;
        *) echo "cold-fill: unknown option $1" >&2; exit 2 ;;
    esac
done
for binary in "$before" "$after"; do [[ -x "$binary" ]] || { echo "cold-fill: $binary is not an executable" >&2; exit 1; }; done
scripts/install-deps.sh --bench

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-cold-fill.XXXXXX")
origin_port=16400 proxy_port=16401 ferry_port=16402
pids=()
# shellcheck source=bench/common.sh
source bench/common.sh
cleanup() {
    stop_pids
    rm -rf "$work"
}
trap cleanup EXIT

# One GET's speed in MB/s.
mbps() { curl -s -o /dev/null -w '%{speed_download}' "$1" | python3 -c 'import sys; print(round(float(sys.stdin.read()) / 1e6))'; }

echo "cold-fill: images (big layer $big_mib MiB) and the origin registry..." >&2
python3 scripts/make-test-images.py "$work/images" --big-mib "$big_mib" >/dev/null
registry origin "$origin_port"
skopeo copy --quiet --dest-tls-verify=false "oci:$work/images/big:v1" "docker://127.0.0.1:$origin_port/bench/big:v1"
digest=$(first_layer_digest "$work/images/big")

# A cold GET through a new proxy (empty storage).
proxy_cold() {
    rm -rf "$work/cncf-proxy"
    registry cncf-proxy "$proxy_port" "http://127.0.0.1:$origin_port"
    mbps "http://127.0.0.1:$proxy_port/v2/bench/big/blobs/$digest"
    kill "$last_pid"; wait "$last_pid" 2>/dev/null || true
}
# A cold GET through a new ferry (empty data directory).
ferry_cold() {
    local data
    data=$(mktemp -d "$work/data.XXXXXX")
    FERRY_ACCESS_MODE=open FERRY_UPSTREAMS=origin FERRY_UPSTREAM_ORIGIN_REGISTRY=origin.test \
        FERRY_UPSTREAM_ORIGIN_URL="http://127.0.0.1:$origin_port" FERRY_LOG_LEVEL=warning \
        "$1" serve --port "$ferry_port" --data-dir "$data" >>"$work/ferry.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    wait_up "http://127.0.0.1:$ferry_port/healthz"
    mbps "http://127.0.0.1:$ferry_port/v2/bench/big/blobs/$digest"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$data"
}

origin=$(mbps "http://127.0.0.1:$origin_port/v2/bench/big/blobs/$digest")
declare -a r_before r_after r_proxy
for round in $(seq 1 "$rounds"); do
    echo "cold-fill: round $round of $rounds" >&2
    r_before+=("$(ferry_cold "$before")")
    r_after+=("$(ferry_cold "$after")")
    r_proxy+=("$(proxy_cold)")
done
median() { printf '%s\n' "$@" | sort -n | python3 -c 'import sys, statistics; print(round(statistics.median(int(x) for x in sys.stdin)))'; }
echo
echo "cold GET of one $big_mib MiB blob, MB/s (median [each round]); the origin served it directly at $origin MB/s"
echo "| | before | after | CNCF proxy | after / proxy |"
echo "|---|---|---|---|---|"
m_before=$(median "${r_before[@]}") m_after=$(median "${r_after[@]}") m_proxy=$(median "${r_proxy[@]}")
echo "| cold GET, 1 client | $m_before [${r_before[*]}] | $m_after [${r_after[*]}] | $m_proxy [${r_proxy[*]}] | $(python3 -c "print(round($m_after / $m_proxy, 2))") |"
