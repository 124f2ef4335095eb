#!/usr/bin/env bash
# Installs the Debian packages that the registry login tests run against:
# docker-registry (the CNCF Distribution registry 2.8, started by the tests
# on 127.0.0.1), apache2-utils (htpasswd, for the registry's bcrypt user
# file) and skopeo (a real registry client that reads our config.json).
# Idempotent: nothing is fetched when the three commands are present.
set -euo pipefail

needed=()
command -v docker-registry >/dev/null 2>&1 || needed+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || needed+=(apache2-utils)
command -v skopeo >/dev/null 2>&1 || needed+=(skopeo)

if [ "${#needed[@]}" -eq 0 ]; then
  echo "registry test packages already installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
else
  sudo=(sudo)
fi

echo "installing ${needed[*]}"
"${sudo[@]}" apt-get update
# The package's service is not wanted: the tests start their own registry.
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${needed[@]}"
