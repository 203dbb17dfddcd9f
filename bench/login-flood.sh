#!/usr/bin/env bash
# Does a flood of failed logins slow down downloads? (issues 8 and 16; by hand, not in CI)
# Times a warm 64 MiB blob GET with and without a 20 s flood of failed /token requests,
# each from a different address (X-Forwarded-For from a trusted proxy) and username,
# so no throttle spares the Argon2 work: the worst case. Runs two builds one after the
# other in the same run, each over a database migrated by its own migrations, so their
# figures sit side by side.
#
# Usage: bench/login-flood.sh BEFORE_BINARY[:MIGRATIONS_DIR] AFTER_BINARY[:MIGRATIONS_DIR]
#   (a binary in REPO/.build/release/ferry uses REPO/migrations unless a directory is given)
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bench/login-flood.sh BEFORE_BINARY[:MIGRATIONS_DIR] AFTER_BINARY[:MIGRATIONS_DIR]"
before=${1:?$usage}
after=${2:?$usage}
scripts/install-deps.sh --bench

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-flood.XXXXXX")
origin_port=16020 ferry_port=16021 pg_port=16022
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    scripts/local-postgres.sh stop "$work/postgres" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
wait_up() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "bench: $1 did not come up" >&2; exit 1; }

python3 scripts/make-test-images.py "$work/images" --big-mib 64 >/dev/null
cat >"$work/origin.yml" <<YAML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/origin}}
http: {addr: 127.0.0.1:$origin_port}
YAML
docker-registry serve "$work/origin.yml" >"$work/origin.log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$origin_port/v2/"
skopeo copy --quiet --dest-tls-verify=false "oci:$work/images/big:v1" "docker://127.0.0.1:$origin_port/bench/big:v1"
digest=$(python3 - "$work/images/big" <<'PY'
import json, sys
index = json.load(open(f"{sys.argv[1]}/index.json"))
manifest = json.load(open(f"{sys.argv[1]}/blobs/sha256/{index['manifests'][0]['digest'].split(':')[1]}"))
print(manifest["layers"][0]["digest"])
PY
)

# Median GET time over 9 runs, in ms.
get_ms() {
    for _ in $(seq 1 9); do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$blob"; done |
        sort -n | sed -n 5p | python3 -c 'import sys; print(round(float(sys.stdin.read()) * 1000, 1))'
}

cat >"$work/flood.lua" <<'LUA'
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(data)
  return ((data:gsub(".", function(x)
    local r, b = "", x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return alphabet:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#data % 3 + 1])
end
request = function()
  local user = "guess" .. math.random(1, 100000000)
  local headers = {}
  headers["X-Forwarded-For"] = string.format("198.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  headers["Authorization"] = "Basic " .. base64(user .. ":wrong-password-" .. math.random(1, 100000000))
  return wrk.format("GET", "/token", headers)
end
LUA

# binary[:migrations] -> the binary and its migrations directory.
binary_of() { echo "${1%%:*}"; }
migrations_of() {
    if [[ "$1" == *:* ]]; then echo "${1#*:}"; else echo "$(cd "$(dirname "${1%%:*}")/../.." && pwd)/migrations"; fi
}

export FERRY_DATABASE_URL_BASE
FERRY_DATABASE_URL_BASE=$(scripts/local-postgres.sh start "$work/postgres" "$pg_port")

# Runs one build: a fresh database and cache, the quiet and flooded GET times, what the
# flood got. Prints "quiet flooded sent unauthorized throttled".
measure() {
    local binary migrations database serve_pid
    binary=$(binary_of "$1")
    migrations=$(migrations_of "$1")
    database="bench_$2"
    psql -q "$FERRY_DATABASE_URL_BASE" -c "CREATE DATABASE $database" >/dev/null
    export FERRY_DATABASE_URL=${FERRY_DATABASE_URL_BASE%/*}/$database?sslmode=disable
    export FERRY_MIGRATIONS_DIR=$migrations
    "$binary" migrate >/dev/null
    echo "bench-password-1" | "$binary" user add alice --password-stdin >/dev/null
    FERRY_BILLING_ENABLED=false FERRY_TRUSTED_PROXIES=127.0.0.1 FERRY_LOG_LEVEL=error \
        FERRY_UPSTREAMS=origin FERRY_UPSTREAM_ORIGIN_REGISTRY=origin.test FERRY_UPSTREAM_ORIGIN_URL="http://127.0.0.1:$origin_port" \
        "$binary" serve --port "$ferry_port" --data-dir "$work/data-$2" >"$work/ferry-$2.log" 2>&1 &
    serve_pid=$!
    pids+=("$serve_pid")
    wait_up "http://127.0.0.1:$ferry_port/healthz"

    service="127.0.0.1:$ferry_port"
    token=$(curl -s -u alice:bench-password-1 "http://$service/token?service=$service&scope=repository:bench/big:pull" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    blob="http://$service/v2/bench/big/blobs/$digest"
    curl -s -o /dev/null -H "Authorization: Bearer $token" "$blob"  # warm it

    local quiet flooded flood sent metrics
    quiet=$(get_ms)
    wrk -t2 -c32 -d20s -s "$work/flood.lua" "http://$service" >"$work/wrk-$2.txt" 2>&1 &
    flood=$!
    sleep 2
    flooded=$(get_ms)
    wait "$flood"
    sent=$(grep -oE '[0-9]+ requests in' "$work/wrk-$2.txt" | grep -oE '^[0-9]+')
    metrics=$(curl -s "http://$service/metrics")
    refused() { echo "$metrics" | grep "ferry_tokens_refused_total{reason=\"$1\"}" | awk '{s += int($2)} END {print s + 0}'; }
    echo "$quiet $flooded $sent $(refused unauthorized) $(refused throttled)"
    kill "$serve_pid"
    wait "$serve_pid" 2>/dev/null || true
}

read -r b_quiet b_flooded b_sent b_checked b_refused <<<"$(measure "$before" before)"
read -r a_quiet a_flooded a_sent a_checked a_refused <<<"$(measure "$after" after)"
slowdown() { python3 -c "print(f'{($2 / $1 - 1) * 100:+.1f}%')"; }

echo "Login flood, $(date -u +%Y-%m-%d), $(nproc) cores, release builds, loopback, one run"
echo
echo "| measurement | before | after |"
echo "|---|---|---|"
echo "| warm 64 MiB blob GET, median of 9, no flood (ms) | $b_quiet | $a_quiet |"
echo "| the same during the flood (ms) | $b_flooded | $a_flooded |"
echo "| slowdown | $(slowdown "$b_quiet" "$b_flooded") | $(slowdown "$a_quiet" "$a_flooded") |"
echo "| failed logins sent in 20 s (each a new address and username) | $b_sent | $a_sent |"
echo "| of which checked with Argon2 (401) | $b_checked | $a_checked |"
echo "| of which refused at once, password checks saturated (429) | $b_refused | $a_refused |"
