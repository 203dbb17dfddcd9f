#!/usr/bin/env bash
# Installs the Debian packages Ferry's build, tests, quick start and benchmark need.
# Idempotent: packages already present are not downloaded again.
set -euo pipefail

# libsqlite3-dev: the cache index (GRDB links the system SQLite).
# chromium: the portal's end-to-end test drives headless Chromium over the DevTools protocol.
# python3-venv: the payment tests' oracle (the providers' official SDKs) lives in a venv.
packages=(docker-registry skopeo libargon2-dev libsqlite3-dev postgresql openssl python3 python3-yaml python3-venv curl chromium)
[[ "${1:-}" == "--bench" ]] && packages+=(wrk nginx-light)

# The docker CLI (tests run `docker login`, which works client-side with no daemon).
command -v docker >/dev/null 2>&1 || packages+=(docker.io)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The docker-registry package may start a system service on :5000; Ferry's tests and
# quick start run their own registries, so stop it if it is there.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
    systemctl stop docker-registry || true
fi
