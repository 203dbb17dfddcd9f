#!/usr/bin/env bash
# Creates (or reuses) a Python virtual environment with botocore, the signing oracle of the
# S3 tests, and prints its interpreter: export FERRY_S3_ORACLE_PYTHON=$(scripts/s3-oracle-venv.sh DIR)
#
#   scripts/s3-oracle-venv.sh DIR
#
# Idempotent: an existing DIR whose python imports botocore is left as it is.
set -euo pipefail
DIR=${1:?usage: $0 DIR}
PYTHON=${PYTHON:-python3}
log() { printf '[s3-oracle-venv] %s\n' "$*" >&2; }

if [[ ! -x $DIR/bin/python ]]; then
  log "creating $DIR"
  "$PYTHON" -m venv "$DIR" || { log "ERROR: $PYTHON -m venv $DIR failed"; exit 1; }
fi
if ! "$DIR/bin/python" -c 'import botocore' 2>/dev/null; then
  log "installing botocore into $DIR"
  "$DIR/bin/python" -m pip install --quiet --disable-pip-version-check botocore >&2 ||
    { log "ERROR: pip install botocore failed"; exit 1; }
fi
"$DIR/bin/python" -c 'import botocore, sys; sys.stderr.write("[s3-oracle-venv] botocore %s\n" % botocore.__version__)'
echo "$(cd "$DIR" && pwd)/bin/python"
