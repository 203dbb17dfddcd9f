#!/usr/bin/env bash
# Measures the token service (by hand, not in CI): first logins (Argon2id verify on a
# thread pool) against repeat logins (cached credential check + one user read + an
# ES256 signature), with a private PostgreSQL and the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
scripts/install-deps.sh --bench
swift build -c release --product ferry >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-tokens.XXXXXX")
port=16010
cleanup() {
    [[ -n "${ferry_pid:-}" ]] && kill "$ferry_pid" 2>/dev/null || true
    scripts/local-postgres.sh stop "$work/postgres"
    rm -rf "$work"
}
trap cleanup EXIT

export FERRY_DATABASE_URL=$(scripts/local-postgres.sh start "$work/postgres" 16011)
"$here/.build/release/ferry" migrate >/dev/null
for i in $(seq 1 30); do echo "bench-password-$i" | "$here/.build/release/ferry" user add "user$i" --password-stdin >/dev/null; done
FERRY_LOG_LEVEL=warning "$here/.build/release/ferry" serve --port "$port" --data-dir "$work/data" >"$work/ferry.log" 2>&1 &
ferry_pid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done

url="http://127.0.0.1:$port/token?service=127.0.0.1:$port&scope=repository:library/alpine:pull"
first=$(for i in $(seq 1 30); do curl -s -o /dev/null -w '%{time_total}\n' -u "user$i:bench-password-$i" "$url"; done | sort -n | sed -n 15p)
repeat=$(for _ in $(seq 1 30); do curl -s -o /dev/null -w '%{time_total}\n' -u "user1:bench-password-1" "$url"; done | sort -n | sed -n 15p)
auth=$(printf 'user1:bench-password-1' | base64)
rps=$(wrk -t2 -c16 -d8s --latency -H "Authorization: Basic $auth" "$url" | python3 -c '
import re, sys
text = sys.stdin.read()
print(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1), re.search(r"99%\s+([\d.]+\w+)", text).group(1))')

echo "Token service, $(date -u +%Y-%m-%d), $(nproc) cores, release build, loopback PostgreSQL 15"
echo "first login (Argon2id m=19MiB,t=2,p=1 verify), median: $(python3 -c "print(round($first*1000,1))") ms"
echo "repeat login (cached), median: $(python3 -c "print(round($repeat*1000,1))") ms"
echo "repeat logins under load (wrk, 16 connections): ${rps% *} req/s, p99 ${rps#* }"
