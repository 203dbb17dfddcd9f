#!/usr/bin/env bash
# Ferry benchmark, run by hand (not in CI). Measures in one run, side by side:
#   Ferry (release build), the CNCF registry in proxy mode (proxy.remoteurl), and nginx
#   serving the same blob file, all on loopback in front of one origin CNCF registry.
# Prints a markdown table (also written to bench/results-<date>.md).
#
# Usage: bench/run.sh [--big-mib N]   (default 512)
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
big_mib=512
[[ "${1:-}" == "--big-mib" ]] && big_mib=$2

scripts/install-deps.sh --bench
swift build -c release --product ferry >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench.XXXXXX")
chmod 755 "$work"  # nginx workers run as an unprivileged user
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

origin_port=16000 proxy_port=16001 ferry_port=16002 nginx_port=16003

wait_up() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "bench: $1 did not come up" >&2; exit 1; }

start_origin() {
    cat >"$work/origin.yml" <<YAML
version: 0.1
log: {level: info}
storage: {filesystem: {rootdirectory: $work/origin}}
http: {addr: 127.0.0.1:$origin_port}
YAML
    docker-registry serve "$work/origin.yml" >"$work/origin.log" 2>&1 &
    pids+=($!)
    wait_up "http://127.0.0.1:$origin_port/v2/"
}

start_cncf_proxy() {
    rm -rf "$work/cncf"
    cat >"$work/cncf.yml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/cncf}}
http: {addr: 127.0.0.1:$proxy_port}
proxy: {remoteurl: "http://127.0.0.1:$origin_port"}
YAML
    docker-registry serve "$work/cncf.yml" >"$work/cncf.log" 2>&1 &
    cncf_pid=$!
    pids+=($cncf_pid)
    wait_up "http://127.0.0.1:$proxy_port/v2/"
}

start_ferry() {
    rm -rf "$work/ferry"
    FERRY_ACCESS_MODE=open FERRY_UPSTREAMS=origin FERRY_UPSTREAM_ORIGIN_REGISTRY=origin.test FERRY_UPSTREAM_ORIGIN_URL="http://127.0.0.1:$origin_port" \
        FERRY_LOG_LEVEL=warning "$here/.build/release/ferry" serve --port "$ferry_port" --data-dir "$work/ferry" >"$work/ferry.log" 2>&1 &
    ferry_pid=$!
    pids+=($ferry_pid)
    wait_up "http://127.0.0.1:$ferry_port/v2/"
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# GETs `$1` with `$2` parallel curl clients and waits for all of them.
parallel_get() {
    local url=$1 count=$2 clients=()
    for _ in $(seq 1 "$count"); do
        curl -s -o /dev/null "$url" &
        clients+=($!)
    done
    wait "${clients[@]}"
}

# Origin GETs and bytes for URIs containing $1 since log line $2.
origin_gets() { tail -n +"$2" "$work/origin.log" | grep -c "\"GET [^ ]*$1[^ ]* HTTP" || true; }
origin_bytes() { tail -n +"$2" "$work/origin.log" | grep "\"GET [^ ]*/blobs/" | awk '{s += $10} END {print s + 0}'; }
log_mark() { echo $(( $(wc -l <"$work/origin.log") + 1 )); }

echo "bench: generating images (big layer $big_mib MiB)..."
python3 scripts/make-test-images.py "$work/images" --big-mib "$big_mib"
start_origin
skopeo copy --quiet --dest-tls-verify=false "oci:$work/images/small:v1" "docker://127.0.0.1:$origin_port/bench/small:v1"
skopeo copy --quiet --dest-tls-verify=false "oci:$work/images/big:v1" "docker://127.0.0.1:$origin_port/bench/big:v1"

big_digest=$(python3 - "$work/images/big" <<'PY'
import json, sys
layout = sys.argv[1]
index = json.load(open(f"{layout}/index.json"))
manifest_digest = index["manifests"][0]["digest"].split(":")[1]
manifest = json.load(open(f"{layout}/blobs/sha256/{manifest_digest}"))
print(manifest["layers"][0]["digest"])
PY
)
big_file="$work/images/big/blobs/sha256/${big_digest#sha256:}"
big_bytes=$(stat -c %s "$big_file")
small_manifest=$(python3 -c "import json;print(json.load(open('$work/images/small/index.json'))['manifests'][0]['digest'])")
accept="Accept: application/vnd.oci.image.manifest.v1+json"

# nginx serving the same blob file.
mkdir -p "$work/nginx/blobs"
cp "$big_file" "$work/nginx/blobs/big"
chmod -R a+rX "$work/nginx"
cat >"$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    server { listen 127.0.0.1:$nginx_port; root $work/nginx; }
}
CONF
nginx -c "$work/nginx.conf"
pids+=($(cat "$work/nginx.pid"))
wait_up "http://127.0.0.1:$nginx_port/blobs/big"

# Single-client and 8-client throughput (MB/s, aggregate), median of 3.
throughput() {
    local url=$1 clients=$2 best=()
    for _ in 1 2 3; do
        local start end
        start=$(date +%s.%N)
        parallel_get "$url" "$clients"
        end=$(date +%s.%N)
        best+=("$(python3 -c "print(round($clients * $big_bytes / ($end - $start) / 1e6))")")
    done
    printf '%s\n' "${best[@]}" | sort -n | sed -n 2p
}

ttfb() { curl -s -o /dev/null -w '%{time_starttransfer}' "$1"; }
median() { sort -n | sed -n 2p; }

manifest_rps() {
    wrk -t2 -c16 -d8s --latency -H "$accept" "$1" 2>/dev/null | python3 -c '
import re, sys
text = sys.stdin.read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
p99 = re.search(r"99%\s+([\d.]+\w+)", text).group(1)
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{float(rps):.0f} req/s, p99 {p99}" + (f" ({errors.group(1)} errors)" if errors else ""))'
}

# 16 concurrent cold GETs of the big blob: upstream GETs.
cold_fanout() {
    local url=$1 mark
    mark=$(log_mark)
    parallel_get "$url" 16
    origin_gets "${big_digest}" "$mark"
}

# Cold skopeo pull of both images: upstream blob bytes / unique blob bytes.
unique_bytes=$(python3 - "$work/images" <<'PY'
import json, os, sys
root = sys.argv[1]
total = 0
for image in ("small", "big"):
    index = json.load(open(f"{root}/{image}/index.json"))
    digest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.load(open(f"{root}/{image}/blobs/sha256/{digest}"))
    total += manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])
print(total)
PY
)
amplification() {
    local host=$1 mark
    mark=$(log_mark)
    for image in small big; do
        skopeo copy --quiet --src-tls-verify=false "docker://$host/bench/$image:v1" "dir:$work/pull-$image-$RANDOM" >/dev/null
    done
    python3 -c "print(round($(origin_bytes x "$mark") / $unique_bytes, 3))"
}

echo "bench: cold measurements..."
ferry_ttfb=$(for _ in 1 2 3; do
    start_ferry >/dev/null
    curl -s -o /dev/null "http://127.0.0.1:$ferry_port/v2/"
    ttfb "http://127.0.0.1:$ferry_port/v2/bench/big/blobs/$big_digest"; echo
    stop "$ferry_pid"
done | median)
start_ferry
ferry_fanout=$(cold_fanout "http://127.0.0.1:$ferry_port/v2/bench/big/blobs/$big_digest")
stop "$ferry_pid"; start_ferry
ferry_amplification=$(amplification "127.0.0.1:$ferry_port")
stop "$ferry_pid"; start_ferry
parallel_get "http://127.0.0.1:$ferry_port/v2/bench/big/blobs/$big_digest" 8
parallel_get "http://127.0.0.1:$ferry_port/v2/bench/big/blobs/$big_digest" 8
ferry_rss=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$ferry_pid/status")

cncf_ttfb=$(for _ in 1 2 3; do
    start_cncf_proxy >/dev/null
    curl -s -o /dev/null "http://127.0.0.1:$proxy_port/v2/"
    ttfb "http://127.0.0.1:$proxy_port/v2/bench/big/blobs/$big_digest"; echo
    stop "$cncf_pid"
done | median)
start_cncf_proxy
cncf_fanout=$(cold_fanout "http://127.0.0.1:$proxy_port/v2/bench/big/blobs/$big_digest")
stop "$cncf_pid"; start_cncf_proxy
cncf_amplification=$(amplification "127.0.0.1:$proxy_port")
parallel_get "http://127.0.0.1:$proxy_port/v2/bench/big/blobs/$big_digest" 8
cncf_rss=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$cncf_pid/status")

echo "bench: warm measurements..."
ferry_blob="http://127.0.0.1:$ferry_port/v2/bench/big/blobs/$big_digest"
cncf_blob="http://127.0.0.1:$proxy_port/v2/bench/big/blobs/$big_digest"
nginx_blob="http://127.0.0.1:$nginx_port/blobs/big"
ferry_t1=$(throughput "$ferry_blob" 1); ferry_t8=$(throughput "$ferry_blob" 8)
cncf_t1=$(throughput "$cncf_blob" 1); cncf_t8=$(throughput "$cncf_blob" 8)
nginx_t1=$(throughput "$nginx_blob" 1); nginx_t8=$(throughput "$nginx_blob" 8)

ferry_tag=$(manifest_rps "http://127.0.0.1:$ferry_port/v2/bench/small/manifests/v1")
ferry_digest=$(manifest_rps "http://127.0.0.1:$ferry_port/v2/bench/small/manifests/$small_manifest")
cncf_tag=$(manifest_rps "http://127.0.0.1:$proxy_port/v2/bench/small/manifests/v1")
cncf_digest=$(manifest_rps "http://127.0.0.1:$proxy_port/v2/bench/small/manifests/$small_manifest")

report="bench/results-$(date +%Y-%m-%d).md"
{
    echo "Ferry benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, loopback, blob $((big_bytes / 1048576)) MiB"
    echo
    echo "| measurement | Ferry | CNCF registry proxy | nginx (static file) |"
    echo "|---|---|---|---|"
    echo "| warm blob GET, 1 client (MB/s) | $ferry_t1 | $cncf_t1 | $nginx_t1 |"
    echo "| warm blob GET, 8 clients (MB/s, aggregate) | $ferry_t8 | $cncf_t8 | $nginx_t8 |"
    echo "| manifest GET by tag (wrk 16 conns) | $ferry_tag | $cncf_tag | - |"
    echo "| manifest GET by digest (wrk 16 conns) | $ferry_digest | $cncf_digest | - |"
    echo "| cold time to first byte, big blob (s) | $ferry_ttfb | $cncf_ttfb | - |"
    echo "| upstream GETs for 16 concurrent cold GETs | $ferry_fanout | $cncf_fanout | - |"
    echo "| upstream blob bytes / unique blob bytes, cold pull | $ferry_amplification | $cncf_amplification | - |"
    echo "| peak RSS after 8 parallel downloads, cold then warm (MiB) | $ferry_rss | $cncf_rss | - |"
    echo
    echo "Ratios: warm throughput Ferry/nginx $(python3 -c "print(round($ferry_t1/$nginx_t1,2))") (1 client), $(python3 -c "print(round($ferry_t8/$nginx_t8,2))") (8 clients)."
} | tee "$report"
