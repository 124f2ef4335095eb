#!/usr/bin/env bash
# Runs each cargo-fuzz target for a short, bounded time. Longer runs and
# their results are recorded in BENCHMARKS.md. cargo-fuzz needs a nightly
# toolchain; this machine kind ships one beside stable.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${FUZZ_SECONDS:-15}"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --version 0.13.2
fi
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "error: cargo-fuzz needs a nightly toolchain and none is installed (rustup toolchain list)" >&2
  exit 1
fi

cd fuzz
for target in $(cargo +nightly fuzz list); do
  echo "== fuzz $target for ${seconds}s"
  cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -print_final_stats=1 2>&1 | tail -n 4
done
