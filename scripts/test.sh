#!/usr/bin/env bash
# Runs Ferry's whole test suite: installs what it needs (Debian packages), starts the
# real peers (CNCF registries holding generated test images), builds, runs every test,
# and stops what it started. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

root=$(mktemp -d "${TMPDIR:-/tmp}/ferry-test.XXXXXX")
cleanup() {
    scripts/test-env.sh stop "$root" || true
    rm -rf "$root"
}
trap cleanup EXIT

scripts/test-env.sh start "$root"
# botocore, the oracle the SigV4 signer is checked against (a virtual environment).
FERRY_S3_ORACLE_PYTHON=$(scripts/s3-oracle-venv.sh .build/s3-oracle-venv)
export FERRY_S3_ORACLE_PYTHON
set -a
# shellcheck disable=SC1091
. "$root/env"
set +a
export FERRY_INTEGRATION=required

# The official Stripe and Alipay SDKs from PyPI, in a virtual environment kept between
# runs (the payment tests cross-check signatures with them; the tests make no network call).
oracle=${FERRY_PAYMENT_ORACLE_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry/payment-oracle}
scripts/payment-oracle-venv.sh "$oracle"
export FERRY_PAYMENT_ORACLE_PYTHON="$oracle/bin/python"

swift build --build-tests
test -x .build/debug/ferry || { echo "test.sh: .build/debug/ferry was not built" >&2; exit 1; }

# The tests take about 2 minutes here; past FERRY_TEST_TIMEOUT (default 20 minutes) they
# are stopped, and the tests still running are named (from Swift Testing's event stream),
# so a hang fails loudly instead of running into CI's own limit.
events=.build/test-events.jsonl
rm -f "$events"
status=0
timeout --kill-after=30 "${FERRY_TEST_TIMEOUT:-1200}" \
    swift test --skip-build --experimental-event-stream-output "$events" --experimental-event-stream-version 0 "$@" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "test.sh: the tests did not finish within ${FERRY_TEST_TIMEOUT:-1200} s; still running:" >&2
    scripts/unfinished-tests.py "$events" >&2 || true
    pkill -KILL -f "$PWD/.build/debug/ferry" || true
fi
[ "$status" -eq 0 ] || exit "$status"

# The request path's parsers under libFuzzer, FERRY_FUZZ_SECONDS per harness (0 skips).
# The default keeps the step, its build included, within about three minutes.
fuzz_seconds=${FERRY_FUZZ_SECONDS:-8}
if ((fuzz_seconds > 0)); then
    scripts/fuzz.sh --time "$fuzz_seconds"
fi
