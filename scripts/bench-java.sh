#!/usr/bin/env bash
# Measures QualysSession.bearerToken() on a cached token through JNI, with
# the release build of the native library, against the gateway simulator
# on 127.0.0.1 (started and stopped by the harness). Prints ns per call;
# BENCHMARKS.md records the results. Not part of scripts/test-all.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --locked --lib -p qualys-ci-auth
cargo build --locked -p qualys-gateway-simulator --bin qualys-gateway-simulator

# Stage the library as 30-java.sh does: other builds may share the target directory.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$target_dir/release/libqualys_ci_auth.so" "$stage/"

mvn -B -q -f java/pom.xml test-compile -Dqualys.native.dir="$stage"
classpath=$(mvn -B -q -f java/bridge/pom.xml dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=/dev/stdout)
# The harness writes the simulator's log to target/, as the tests do.
cd java/bridge
java -cp "target/classes:target/test-classes:$classpath" \
  -Dqualys.ciauth.library.path="$stage/libqualys_ci_auth.so" \
  -Dqualys.test.simulator="$target_dir/debug/qualys-gateway-simulator" \
  io.qualysciauth.bridge.BearerTokenBenchmark
