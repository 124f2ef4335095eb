#!/usr/bin/env bash
# Installs cbindgen 0.29.4, which generates include/qualys_ci_auth.h, unless
# that version is installed already. 20-c-abi.sh fails when the committed
# header differs from what this version generates.
set -euo pipefail

version=0.29.4
if [ "$(cbindgen --version 2>/dev/null || true)" = "cbindgen $version" ]; then
  echo "cbindgen $version: installed"
  exit 0
fi
# About a minute on two cores; --locked builds with the versions cbindgen tested.
cargo install cbindgen --locked --version "$version"
