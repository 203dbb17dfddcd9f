#!/usr/bin/env bash
# Creates (or refreshes) a Python virtual environment holding the official
# Stripe and Alipay SDKs, used by PaymentProvidersTests as signing/verifying
# oracles. Idempotent: re-running it reuses the environment and only installs
# what is missing.
#
#   scripts/payment-oracle-venv.sh DIR
#   FERRY_PAYMENT_ORACLE_PYTHON=DIR/bin/python swift test
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 DIR" >&2
    exit 64
fi
dir="$1"
python="${PYTHON:-python3}"

if [[ ! -x "$dir/bin/python" ]]; then
    "$python" -m venv "$dir"
fi

# Already complete? Then make no registry call at all.
if "$dir/bin/python" -c 'import stripe, alipay.aop.api.util.SignatureUtils' >/dev/null 2>&1; then
    echo "oracle environment ready: $dir/bin/python"
    exit 0
fi

"$dir/bin/pip" install --disable-pip-version-check --quiet "stripe==16.1.0" "alipay-sdk-python==3.7.1411"
"$dir/bin/python" -c 'import stripe, alipay.aop.api.util.SignatureUtils'
echo "oracle environment ready: $dir/bin/python"
