#!/usr/bin/env bash
# Azure DevOps extension suite. It builds the C library and the gateway
# simulator, ships the library into both task folders and compiles the tasks
# and their tests with tsc (strict). It then runs the mocha tests, which
# start their own simulator and container registry on 127.0.0.1 and run the
# tasks as the agent does. Last, tfx packages the extension into a .vsix and
# so validates the manifests.
#
# Needs scripts/setup.d/40-node.sh (npm packages) and
# scripts/setup.d/20-registry-packages.sh (docker-registry, htpasswd) to have
# run first.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"

echo "-- cargo build (C library, CLI, gateway simulator)"
cargo build --locked -p qualys-ci-auth -p qualys-gateway-simulator

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) target=linux-x64 ;;
  Linux-aarch64) target=linux-arm64 ;;
  *)
    echo "40-azure-task.sh: no task target for $(uname -s)-$(uname -m); the suite runs on Linux" >&2
    exit 1
    ;;
esac

echo "-- ship libqualys_ci_auth.so for $target"
native_dir="azure-task/QualysAuthenticate/native/$target"
rm -rf azure-task/QualysAuthenticate/native azure-task/QualysRegistryLogin/native
mkdir -p "$native_dir"
cp "$CARGO_TARGET_DIR/debug/libqualys_ci_auth.so" "$native_dir/"
# Debug info is most of a debug build's size and is not needed on agents.
strip --strip-debug "$native_dir/libqualys_ci_auth.so"

# Node loads the library into its own process: an executable stack would make
# new glibc versions refuse it.
if readelf -lW "$native_dir/libqualys_ci_auth.so" | grep -E 'GNU_STACK' | grep -q 'RWE'; then
  echo "40-azure-task.sh: libqualys_ci_auth.so requests an executable stack" >&2
  exit 1
fi

# Record the newest glibc symbol version the library needs, so that the task
# can name it on an agent with an older glibc.
min_glibc="$(objdump -T "$native_dir/libqualys_ci_auth.so" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)"
printf '{\n  "minGlibc": "%s"\n}\n' "$min_glibc" > "$native_dir/library.json"
echo "needs glibc $min_glibc"
# The agent downloads each task folder on its own, so each carries the library.
mkdir -p azure-task/QualysRegistryLogin/native
cp -r "$native_dir" "azure-task/QualysRegistryLogin/native/"

cd azure-task
echo "-- tsc (tasks and tests)"
rm -rf QualysAuthenticate/dist QualysRegistryLogin/dist test-build out
npx tsc -p .
npx tsc -p QualysRegistryLogin
npx tsc -p test

echo "-- mocha"
QUALYS_SIMULATOR_BIN="$CARGO_TARGET_DIR/debug/qualys-gateway-simulator" \
QUALYS_CLI_BIN="$CARGO_TARGET_DIR/debug/qualys-ci-auth" \
  npx mocha

echo "-- tfx extension create"
npx tfx extension create --manifest-globs vss-extension.json --output-path out/ --no-prompt
vsix="$(ls out/*.vsix)"
# The package must carry each task's code, its dependencies and the library.
contents="$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$vsix")"
for required in \
  QualysAuthenticate/task.json \
  QualysAuthenticate/task.loc.json \
  QualysAuthenticate/dist/index.js \
  "QualysAuthenticate/native/$target/libqualys_ci_auth.so" \
  QualysAuthenticate/node_modules/koffi/package.json \
  QualysAuthenticate/node_modules/azure-pipelines-task-lib/task.js \
  QualysRegistryLogin/task.json \
  QualysRegistryLogin/task.loc.json \
  QualysRegistryLogin/dist/QualysRegistryLogin/src/index.js \
  QualysRegistryLogin/dist/QualysAuthenticate/src/native/client.js \
  "QualysRegistryLogin/native/$target/libqualys_ci_auth.so" \
  QualysRegistryLogin/node_modules/koffi/package.json \
  QualysRegistryLogin/node_modules/azure-pipelines-task-lib/task.js; do
  if ! grep -qx "$required" <<< "$contents"; then
    echo "40-azure-task.sh: $vsix lacks $required" >&2
    exit 1
  fi
done
echo "packaged $vsix ($(du -h "$vsix" | cut -f1))"
