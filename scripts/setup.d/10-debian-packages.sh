#!/usr/bin/env bash
# Installs the Debian packages that the test suites need. Idempotent: when
# every package is installed already, nothing is downloaded. Add a package
# on its own line, with the suite that needs it.
set -euo pipefail

packages=(
  # 20-c-abi.sh: compile and link the C test program (cc, libc headers).
  gcc
  libc6-dev
  # 20-c-abi.sh: nm and readelf for the symbol and stack checks.
  binutils
  # 20-c-abi.sh: requests to the simulator's control API, and its JSON responses.
  curl
  jq
  # 20-c-abi.sh: the memory check of the C test program.
  valgrind
  # 20-c-abi.sh: the HTTP CONNECT proxy that sessions and registry logins go through.
  tinyproxy
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query --show --showformat='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "Debian packages: all ${#packages[@]} installed"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi
echo "Debian packages: installing ${missing[*]}"
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
