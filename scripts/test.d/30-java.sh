#!/usr/bin/env bash
# The Java bridge's test suite: builds the native library and the gateway
# simulator with cargo, then runs `mvn verify` on java/. Surefire runs the
# pure Java unit tests. Failsafe then runs the integration tests against the
# packaged jar, which carries the native library. Each test class starts its
# own simulator on 127.0.0.1 and stops it.
#
# The Jenkins plugin module is not built here: its parent POM and Jenkins
# dependencies come from repo.jenkins-ci.org, which this machine cannot
# reach (see the README's Jenkins section).
set -euo pipefail
cd "$(dirname "$0")/../.."

target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --locked --lib -p qualys-ci-auth
cargo build --locked -p qualys-gateway-simulator --bin qualys-gateway-simulator

# Other builds may share the cargo target directory: stage this build's
# library at once so that the jar gets exactly it.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$target_dir/debug/libqualys_ci_auth.so" "$stage/"

mvn -B -f java/pom.xml verify \
  -Dqualys.native.dir="$stage" \
  -Dqualys.simulator="$target_dir/debug/qualys-gateway-simulator"
