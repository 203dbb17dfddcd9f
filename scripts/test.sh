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
swift test --skip-build "$@"

# The request path's parsers under libFuzzer, FERRY_FUZZ_SECONDS per harness (0 skips).
# The default keeps the step, its build included, within about three minutes.
fuzz_seconds=${FERRY_FUZZ_SECONDS:-8}
if ((fuzz_seconds > 0)); then
    scripts/fuzz.sh --time "$fuzz_seconds"
fi
