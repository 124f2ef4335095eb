#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: whole-command timings with
# hyperfine against the gateway simulator on loopback TLS (side by side with
# curl doing the same exchange), start-up time, peak RSS, library size, and
# the criterion benchmarks. Results go to target/bench/.
#
# Needs hyperfine, curl and GNU time (Debian packages of the same names).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in hyperfine curl /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing; apt-get install hyperfine curl time" >&2; exit 1; }
done

out=target/bench
mkdir -p "$out"
cargo build --release --locked --workspace
bin=target/release/qualys-ci-auth
sim=target/release/qualys-gateway-simulator

work=$(mktemp -d)
# The simulator stops when its standard input closes, so it cannot outlive this script.
coproc SIM { exec "$sim" --exit-on-stdin-eof --ca-out "$work/ca.pem" 2>"$work/sim.log"; }
trap 'exec {SIM[1]}>&-; wait 2>/dev/null; rm -rf "$work"' EXIT
read -r ready <&"${SIM[0]}"
url=$(printf '%s' "$ready" | sed -E 's/.*"url":"([^"]+)".*/\1/')
echo "simulator at $url"

# Secrets travel in files and the environment, never in argv.
printf 'username=demo-user&password=demo-password&token=true' >"$work/form"
token=$(curl -sS --fail --cacert "$work/ca.pem" -H 'Content-Type: application/json' \
  --data-binary '{"subject":"bench","modules":["CS"]}' "$url/__simulator/tokens" | sed -E 's/.*"token":"([^"]+)".*/\1/')
export QUALYS_GATEWAY_URL="$url" QUALYS_CA_FILE="$work/ca.pem"
export QUALYS_USERNAME=demo-user QUALYS_PASSWORD=demo-password QUALYS_ACCESS_TOKEN="$token"

auth_curl="curl -sS --fail -o /dev/null --cacert $work/ca.pem -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @$work/form $url/auth"
login_curl="curl -sS --fail --cacert $work/ca.pem -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @$work/form $url/auth \
  | sed 's/^/Authorization: Bearer /' \
  | curl -sS --fail -o /dev/null --cacert $work/ca.pem -H @- -H 'Accept: application/json' '$url/csapi/v1.3/images?pageNumber=1&pageSize=1'"

hyperfine -N --warmup 5 --runs 50 --export-markdown "$out/auth.md" \
  -n "qualys-ci-auth token (POST /auth)" "$bin token --platform jenkins --backend cicd-sensor" \
  -n "curl POST /auth" "$auth_curl"
hyperfine --warmup 5 --runs 50 --export-markdown "$out/login.md" \
  -n "qualys-ci-auth login (POST /auth + verify)" "$bin login --platform jenkins --backend cicd-sensor" \
  -n "curl POST /auth | curl GET images" "$login_curl"
hyperfine -N --warmup 10 --runs 200 --export-markdown "$out/startup.md" \
  -n "qualys-ci-auth --version" "$bin --version"

rss_kib=$(/usr/bin/time -f '%M' "$bin" login --platform jenkins --backend cicd-sensor 2>&1 >/dev/null | tail -n 1)
echo "peak RSS of login: ${rss_kib} KiB" | tee "$out/rss.txt"

lib=target/release/libqualys_ci_auth.so
strip -o "$work/lib.so" "$lib"
echo "cdylib: $(stat -c %s "$lib") bytes, stripped $(stat -c %s "$work/lib.so") bytes" | tee "$out/size.txt"

cargo bench --locked --bench session -- --noplot 2>&1 | tee "$out/criterion.txt"
