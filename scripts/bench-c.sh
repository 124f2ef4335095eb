#!/usr/bin/env bash
# Measures the per-call time of qca_session_bearer_token on a token that
# needs no request (tests/c/qca_bench.c): builds the release C library,
# compiles the benchmark with -O2 against it, and runs it against a gateway
# simulator on 127.0.0.1. Not part of CI. Prints one line per session kind.
#
# Needs cc, curl and jq (scripts/setup.d/10-debian-packages.sh). Set
# QCA_BENCH_CALLS to change the number of calls per run (default 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in cc curl jq; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing; run scripts/setup.d/10-debian-packages.sh" >&2; exit 1; }
done

cargo build --release --locked --quiet -p qualys-ci-auth --lib
# The simulator only serves one login per session; its build profile does not matter.
cargo build --locked --quiet -p qualys-gateway-simulator --bin qualys-gateway-simulator
target_dir=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)

work=$(mktemp -d)
# A copy, because another build in a shared target directory may replace the library.
cp "$target_dir/release/libqualys_ci_auth.so" "$work/"
cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude tests/c/qca_bench.c -L"$work" -lqualys_ci_auth \
  -Wl,-rpath,"$work" -o "$work/qca_bench"

# The simulator stops when its standard input closes, so it cannot outlive this script.
coproc SIM { exec "$target_dir/debug/qualys-gateway-simulator" --exit-on-stdin-eof \
  --ca-out "$work/ca.pem" 2>"$work/simulator.log"; }
simulator_pid=$SIM_PID
trap 'exec {SIM[1]}>&-; wait "$simulator_pid" 2>/dev/null; rm -rf "$work"' EXIT
read -r -t 60 ready <&"${SIM[0]}"
url=$(jq -r .url <<<"$ready")

token=$(curl --silent --show-error --fail --cacert "$work/ca.pem" -H 'Content-Type: application/json' \
  --data '{"subject": "bench", "modules": ["CS"]}' "$url/__simulator/tokens" | jq -r .token)
# demo-user is one of the simulator's built-in users.
export QCA_BENCH_GATEWAY_URL="$url" QCA_BENCH_CA_FILE="$work/ca.pem" QCA_BENCH_TOKEN="$token"
export QCA_BENCH_USERNAME=demo-user QCA_BENCH_PASSWORD=demo-password

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(uname -sr)"
"$work/qca_bench"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
