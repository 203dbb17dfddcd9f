#!/usr/bin/env bash
# 200 concurrent clients for 60 s, pulling a mix of cached (warm) and uncached (cold)
# blobs through Ferry from a CNCF registry (issue 10; by hand, not in CI). Reports
# errors (must be 0), throughput, latency and Ferry's memory: peak RSS, and the memory
# per concurrent download ((peak - idle) / clients; target: at most 1 MiB).
#
# Usage: bench/load.sh [--clients N] [--seconds S] [--blobs B] [--blob-kib K]
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
clients=200 seconds=60 blobs=800 blob_kib=512
while [[ $# -gt 0 ]]; do
    case $1 in
        --clients) clients=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --blobs) blobs=$2; shift 2 ;;
        --blob-kib) blob_kib=$2; shift 2 ;;
        *) echo "usage: bench/load.sh [--clients N] [--seconds S] [--blobs B] [--blob-kib K]" >&2; exit 2 ;;
    esac
done
scripts/install-deps.sh --bench
swift build -c release --product ferry >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-load.XXXXXX")
origin_port=16030 ferry_port=16031
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
wait_up() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "bench: $1 did not come up" >&2; exit 1; }

cat >"$work/origin.yml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/origin}}
http: {addr: 127.0.0.1:$origin_port}
YAML
docker-registry serve "$work/origin.yml" >"$work/origin.log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$origin_port/v2/"

echo "bench: pushing $blobs blobs of $blob_kib KiB..."
python3 - "$origin_port" "$blobs" "$blob_kib" "$work/paths" <<'PY'
import hashlib, http.client, os, sys
port, count, kib, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
connection = http.client.HTTPConnection("127.0.0.1", port)
with open(out, "w") as paths:
    for index in range(count):
        data = os.urandom(kib * 1024)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        connection.request("POST", "/v2/bench/load/blobs/uploads/")
        response = connection.getresponse(); response.read()
        location = response.getheader("Location")
        if location.startswith("http"):
            location = "/" + location.split("/", 3)[3]
        connection.request("PUT", location + ("&" if "?" in location else "?") + "digest=" + digest, body=data,
                           headers={"Content-Type": "application/octet-stream"})
        response = connection.getresponse(); response.read()
        assert response.status == 201, response.status
        paths.write(f"/v2/bench/load/blobs/{digest}\n")
PY

FERRY_ACCESS_MODE=open FERRY_LOG_LEVEL=error \
    FERRY_UPSTREAMS=origin FERRY_UPSTREAM_ORIGIN_REGISTRY=origin.test FERRY_UPSTREAM_ORIGIN_URL="http://127.0.0.1:$origin_port" \
    "$here/.build/release/ferry" serve --port "$ferry_port" --data-dir "$work/data" >"$work/ferry.log" 2>&1 &
ferry_pid=$!
pids+=($ferry_pid)
wait_up "http://127.0.0.1:$ferry_port/healthz"
# Warm every other blob, so the run mixes hits with misses.
awk 'NR % 2 == 0' "$work/paths" | while read -r path; do curl -s -o /dev/null "http://127.0.0.1:$ferry_port$path"; done
idle=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$ferry_pid/status")

cat >"$work/load.lua" <<LUA
local paths = {}
for line in io.lines("$work/paths") do paths[#paths + 1] = line end
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
LUA
peak_file="$work/peak"
echo 0 >"$peak_file"
( while kill -0 "$ferry_pid" 2>/dev/null; do
      rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$ferry_pid/status" 2>/dev/null || echo 0)
      [[ $rss -gt $(cat "$peak_file") ]] && echo "$rss" >"$peak_file"
      sleep 0.2
  done ) &
sampler=$!
echo "bench: $clients clients for $seconds s..."
wrk -t2 -c"$clients" -d"${seconds}s" --timeout 30s --latency -s "$work/load.lua" "http://127.0.0.1:$ferry_port" >"$work/wrk.txt" 2>&1
kill "$sampler" 2>/dev/null || true
peak=$(cat "$peak_file")
python3 - "$work/wrk.txt" "$clients" "$seconds" "$idle" "$peak" "$blobs" "$blob_kib" "$(nproc)" <<'PY'
import re, sys, datetime
text = open(sys.argv[1]).read()
clients, seconds, idle, peak, blobs, kib, cores = (int(x) for x in sys.argv[2:9])
requests = int(re.search(r"(\d+) requests in", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
socket_errors = sum(int(x) for x in socket.groups()) if socket else 0
transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", text)
p50 = re.search(r"50%\s+([\d.]+\w+)", text).group(1)
p99 = re.search(r"99%\s+([\d.]+\w+)", text).group(1)
print(f"Load, {datetime.date.today()}, {cores} cores, release build, loopback: {clients} clients x {seconds} s, {blobs} blobs of {kib} KiB, half of them cached at the start")
print()
print("| measurement | value |")
print("|---|---|")
print(f"| requests | {requests} ({requests / seconds:.0f}/s) |")
print(f"| errors (non-2xx, socket errors) | {int(errors.group(1)) if errors else 0}, {socket_errors} |")
print(f"| throughput | {transfer.group(1)} {transfer.group(2)}/s |")
print(f"| latency p50 / p99 | {p50} / {p99} |")
print(f"| Ferry RSS idle / peak (MiB) | {idle} / {peak} |")
print(f"| memory per concurrent download ((peak - idle) / clients, MiB) | {(peak - idle) / clients:.2f} |")
PY
