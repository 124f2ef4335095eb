#!/usr/bin/env bash
# The C interface suite. It checks that include/qualys_ci_auth.h matches a
# fresh cbindgen run, and checks the symbols and stack flags of the
# libraries. Then it builds tests/c/qca_test.c against the shared and the
# static library and runs it once per link mode and once more under
# valgrind. The servers it runs against are started on 127.0.0.1: a gateway
# simulator, a docker-registry with htpasswd users, and two tinyproxy
# instances, one with Basic authentication. The registry serves the simulator's own
# certificate (--tls-cert-out, --tls-key-out), so one throwaway CA covers
# both and no certificate tool is needed.
#
# Needs cbindgen 0.29 (scripts/setup.d/20-cbindgen.sh), cc, curl, jq,
# valgrind, binutils and tinyproxy (scripts/setup.d/10-debian-packages.sh),
# docker-registry and htpasswd (scripts/setup.d/20-registry-packages.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

tmp=$(mktemp -d)
simulator_pid=""
# Background servers started by this script, stopped by process id.
server_pids=()
cleanup() {
  for pid in "${server_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$simulator_pid" ]; then
    # Closing its standard input stops the simulator (--exit-on-stdin-eof).
    exec {simulator_in}>&- || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$simulator_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill "$simulator_pid" 2>/dev/null || true
    wait "$simulator_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "c-abi: FAILED: $*" >&2
  exit 1
}

for tool in tinyproxy docker-registry htpasswd; do
  command -v "$tool" >/dev/null ||
    fail "$tool is not installed; run scripts/setup.d/10-debian-packages.sh and 20-registry-packages.sh"
done
# Every request goes to servers on 127.0.0.1 that this script starts, so a
# proxy of the machine must not carry them, except where a test sets one.
unset HTTPS_PROXY https_proxy HTTP_PROXY http_proxy ALL_PROXY all_proxy NO_PROXY no_proxy

# Prints a TCP port of 127.0.0.1 that nothing listens on at the moment.
free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  fail "found no free port on 127.0.0.1"
}

# Waits up to 15 s until PORT accepts connections: wait_for_port PID PORT.
# Fails early when process PID exits.
wait_for_port() {
  for _ in $(seq 150); do
    kill -0 "$1" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

echo "-- header: include/qualys_ci_auth.h against a fresh cbindgen run"
cbindgen_version=$(cbindgen --version 2>/dev/null || true)
case "$cbindgen_version" in
  "cbindgen 0.29."*) ;;
  *) fail "cbindgen 0.29 is needed, found '${cbindgen_version:-none}'; run scripts/setup.d/20-cbindgen.sh" ;;
esac
cbindgen --quiet --config cbindgen.toml --output "$tmp/qualys_ci_auth.h" src/capi/mod.rs
if ! diff -u include/qualys_ci_auth.h "$tmp/qualys_ci_auth.h"; then
  fail "include/qualys_ci_auth.h is stale; regenerate it with:
  cbindgen --config cbindgen.toml --output include/qualys_ci_auth.h src/capi/mod.rs"
fi

echo "-- build"
cargo build --locked --quiet -p qualys-ci-auth --lib
cargo build --locked --quiet -p qualys-gateway-simulator --bin qualys-gateway-simulator
target_dir=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
# The suite tests copies, because another cargo build in a shared target
# directory may replace target/debug/libqualys_ci_auth.* while it runs.
lib_dir="$tmp/lib"
mkdir "$lib_dir"
cp "$target_dir/debug/libqualys_ci_auth.so" "$target_dir/debug/libqualys_ci_auth.a" "$lib_dir/"
shared="$lib_dir/libqualys_ci_auth.so"
static="$lib_dir/libqualys_ci_auth.a"

echo "-- library: exported symbols, simulator code, stack"
# Only the C interface (qca_) and the JNI entry points (Java_) are exported.
nm -D --defined-only "$shared" | awk '{ print $3 }' | sort >"$tmp/exports.txt"
if grep -Ev '^(qca_|Java_)' "$tmp/exports.txt"; then
  fail "$shared exports the symbols above, which lack the qca_ or Java_ prefix"
fi
# Every function that the header declares is exported. A library without
# the newest functions here usually means that another build in a shared
# target directory replaced it after this suite built it.
grep -vE '^[[:space:]]*(/\*|\*)' include/qualys_ci_auth.h | grep -oE '\bqca_[a-z0-9_]+\(' |
  tr -d '(' | sort -u >"$tmp/declared.txt"
[ -s "$tmp/declared.txt" ] || fail "found no function declarations in include/qualys_ci_auth.h"
missing=$(comm -23 "$tmp/declared.txt" "$tmp/exports.txt")
[ -z "$missing" ] || fail "$shared does not export these functions of the header:" $missing
# The simulator and its certificate generator are for tests only.
for library in "$shared" "$static"; do
  if nm -A "$library" 2>/dev/null | grep -m 5 -E 'qualys_gateway_simulator|rcgen'; then
    fail "$library contains the simulator code above"
  fi
done
# glibc 2.41 and later refuse to dlopen a library whose GNU_STACK header
# requests an executable stack (flags RWE).
stack_flags=$(readelf -lW "$shared" | awk '$1 == "GNU_STACK" { print $7 }')
[ "$stack_flags" = RW ] || fail "the GNU_STACK flags of $shared are '$stack_flags', expected RW"

echo "-- compile tests/c/qca_test.c"
cflags=(-std=c11 -Wall -Wextra -Werror -pthread -Iinclude)
cc "${cflags[@]}" tests/c/qca_test.c -L"$lib_dir" -lqualys_ci_auth -Wl,-rpath,"$lib_dir" \
  -o "$tmp/qca_test_shared"
# The system libraries that `cargo rustc --lib --crate-type staticlib --
# --print native-static-libs` prints for this crate on Linux with glibc.
cc "${cflags[@]}" tests/c/qca_test.c "$static" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc \
  -o "$tmp/qca_test_static"
# The README's example must keep compiling.
awk '/^## Use from C/ { section = 1 } section && /^```c$/ { code = 1; next }
     code && /^```$/ { exit } code { print }' README.md >"$tmp/example.c"
[ -s "$tmp/example.c" ] || fail "no C example found in the README's section 'Use from C'"
cc "${cflags[@]}" "$tmp/example.c" -L"$lib_dir" -lqualys_ci_auth -o "$tmp/example"
readelf -d "$tmp/qca_test_shared" | grep -q 'libqualys_ci_auth.so' ||
  fail "the shared test program does not load libqualys_ci_auth.so"
if readelf -d "$tmp/qca_test_static" | grep -q 'libqualys_ci_auth.so'; then
  fail "the static test program loads libqualys_ci_auth.so"
fi

echo "-- start the gateway simulator"
coproc SIMULATOR { exec "$target_dir/debug/qualys-gateway-simulator" --exit-on-stdin-eof \
  --ca-out "$tmp/ca.pem" --tls-cert-out "$tmp/server.crt" --tls-key-out "$tmp/server.key" \
  2>"$tmp/simulator.log"; }
simulator_pid=$SIMULATOR_PID
simulator_in=${SIMULATOR[1]}
read -r -t 60 ready <&"${SIMULATOR[0]}" || fail "the simulator printed no ready line: $(cat "$tmp/simulator.log")"
url=$(jq -r .url <<<"$ready")
simulator_port=${url##*:}
echo "simulator at $url"

echo "-- start docker-registry (htpasswd, TLS with the simulator's certificate)"
registry_user=c-abi-registry-user
registry_password='CANARY-registry-pw-2c9e&+%= "q" é'
mkdir "$tmp/registry"
# -i reads the password from standard input, so it stays out of every command line.
printf '%s' "$registry_password" | htpasswd -icB "$tmp/registry/htpasswd" "$registry_user" 2>/dev/null
registry_port=""
for _ in 1 2 3; do
  port=$(free_port)
  cat >"$tmp/registry/config.yml" <<YAML
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $tmp/registry/data
http:
  addr: 127.0.0.1:$port
  secret: c-abi-test-upload-secret
  tls:
    certificate: $tmp/server.crt
    key: $tmp/server.key
auth:
  htpasswd:
    realm: c-abi-test
    path: $tmp/registry/htpasswd
YAML
  docker-registry serve "$tmp/registry/config.yml" >"$tmp/registry.log" 2>&1 &
  server_pids+=($!)
  if wait_for_port $! "$port"; then
    registry_port=$port
    break
  fi
done
[ -n "$registry_port" ] || fail "docker-registry did not start: $(tail -5 "$tmp/registry.log")"
echo "registry at 127.0.0.1:$registry_port"

echo "-- start tinyproxy, without and with Basic authentication"
proxy_user=c-abi-proxy-user
proxy_password=CANARY-proxy-pw-83f1
# start_proxy NAME [CONFIG-LINE]: starts tinyproxy and sets proxy_port.
# It runs in this shell, not a subshell, so that cleanup gets the process id.
start_proxy() {
  local name=$1 extra=${2:-} port
  proxy_port=""
  for _ in 1 2 3; do
    port=$(free_port)
    # LogLevel Connect logs each CONNECT request line; ConnectPort allows
    # tunnels to the simulator and the registry only.
    cat >"$tmp/$name.conf" <<CONF
Port $port
Listen 127.0.0.1
Timeout 60
MaxClients 50
Allow 127.0.0.1
ConnectPort $simulator_port
ConnectPort $registry_port
LogFile "$tmp/$name.log"
LogLevel Connect
$extra
CONF
    tinyproxy -d -c "$tmp/$name.conf" >>"$tmp/$name.out" 2>&1 &
    server_pids+=($!)
    if wait_for_port $! "$port"; then
      proxy_port=$port
      return 0
    fi
  done
  fail "tinyproxy $name did not start: $(tail -5 "$tmp/$name.out" "$tmp/$name.log" 2>/dev/null)"
}
start_proxy auth-proxy "BasicAuth $proxy_user $proxy_password"
auth_proxy_port=$proxy_port
start_proxy proxy
echo "proxies at 127.0.0.1:$proxy_port and 127.0.0.1:$auth_proxy_port (Basic)"

# Calls the simulator's control API: admin METHOD PATH [JSON-BODY].
admin() {
  curl --silent --show-error --fail-with-body --cacert "$tmp/ca.pem" -X "$1" \
    -H 'Content-Type: application/json' ${3:+--data "$3"} "$url/__simulator/$2"
}
mint() {
  admin POST tokens "$1" | jq -r .token
}

username=c-abi-user
password='CANARY-pw-7f3a&+%= "quoted" é ü 日本'
admin POST users "$(jq -cn --arg u "$username" --arg p "$password" \
  '{username: $u, password: $p, modules: ["CS"]}')" >/dev/null
token=$(mint '{"subject": "c-abi-scanner", "modules": ["CS"]}')
opaque_token=$(mint '{"subject": "c-abi-opaque", "modules": ["CS"], "opaque": true}')
opaque_no_cs=$(mint '{"subject": "c-abi-opaque", "modules": ["VM SCANNER"], "opaque": true}')
token_no_cs=$(mint '{"subject": "c-abi-no-cs", "modules": ["VM SCANNER"]}')
token_expired=$(mint '{"subject": "c-abi-old", "modules": ["CS"], "issued_days_ago": 2, "lifetime_seconds": 3600}')
token_revoked=$(mint '{"subject": "c-abi-revoked", "modules": ["CS"]}')
admin POST revoke "$(jq -cn --arg t "$token_revoked" '{token: $t}')" >/dev/null
# Backdated, and valid for a year from their iat: the policy judges the age alone.
token_80_days=$(mint '{"subject": "c-abi-80", "modules": ["CS"], "issued_days_ago": 80, "lifetime_seconds": 31536000}')
token_100_days=$(mint '{"subject": "c-abi-100", "modules": ["CS"], "issued_days_ago": 100, "lifetime_seconds": 31536000}')
registry_auth=$(printf '%s' "$registry_user:$registry_password" | base64 -w 0)

export QCA_TEST_GATEWAY_URL="$url"
export QCA_TEST_CA_FILE="$tmp/ca.pem"
QCA_TEST_VERSION=$(cargo metadata --format-version 1 --no-deps |
  jq -r '.packages[] | select(.name == "qualys-ci-auth") | .version')
export QCA_TEST_VERSION
export QCA_TEST_USERNAME="$username" QCA_TEST_PASSWORD="$password"
export QCA_TEST_TOKEN="$token" QCA_TEST_OPAQUE_TOKEN="$opaque_token"
export QCA_TEST_OPAQUE_NO_CS="$opaque_no_cs" QCA_TEST_TOKEN_NO_CS="$token_no_cs"
export QCA_TEST_TOKEN_EXPIRED="$token_expired" QCA_TEST_TOKEN_REVOKED="$token_revoked"
export QCA_TEST_TOKEN_80_DAYS="$token_80_days" QCA_TEST_TOKEN_100_DAYS="$token_100_days"
export QCA_TEST_PROXY_URL="http://127.0.0.1:$proxy_port" QCA_TEST_PROXY_LOG="$tmp/proxy.log"
export QCA_TEST_AUTH_PROXY_URL="http://127.0.0.1:$auth_proxy_port"
export QCA_TEST_AUTH_PROXY_LOG="$tmp/auth-proxy.log"
export QCA_TEST_PROXY_USERNAME="$proxy_user" QCA_TEST_PROXY_PASSWORD="$proxy_password"
export QCA_TEST_REGISTRY="127.0.0.1:$registry_port" QCA_TEST_REGISTRY_USERNAME="$registry_user"
export QCA_TEST_REGISTRY_PASSWORD="$registry_password" QCA_TEST_REGISTRY_AUTH="$registry_auth"
# The policy variables of the machine must not change the reports.
unset QUALYS_POLICY_FILE QUALYS_ENVIRONMENT QUALYS_TOKEN_WARN_AFTER_DAYS \
  QUALYS_TOKEN_FAIL_AFTER_DAYS QUALYS_REQUIRED_SCOPES QUALYS_EXTRA_SCOPES QUALYS_SHARED_TOKEN \
  QUALYS_TOKEN_CREATED
# The platform is set explicitly where it matters; a runner's variables must
# not change what the detected platform is for the other sessions.
unset GITHUB_ACTIONS GITLAB_CI TF_BUILD JENKINS_URL

# Runs one pass of the C program: run NAME COMMAND...
run() {
  local name=$1
  shift
  echo "-- run: $name"
  # Clears counters and leftover faults, then queues the faults the program expects.
  admin POST reset >/dev/null
  admin POST faults '{"path": "/fault-429", "fault": {"kind": "status", "status": 429, "retry_after": "0"}, "times": 2}' >/dev/null
  admin POST faults '{"path": "/fault-500", "fault": {"kind": "status", "status": 500}, "times": 1}' >/dev/null
  admin POST faults '{"path": "/fault-delay", "fault": {"kind": "delay", "millis": 3000}, "times": 1}' >/dev/null
  admin POST faults '{"path": "/fault-slow", "fault": {"kind": "delay", "millis": 3000}, "times": 1}' >/dev/null

  # Each run gets its own files: audit logs, policy files, Docker configs.
  export QCA_TEST_TMPDIR="$tmp/run-$name"
  export QUALYS_AUDIT_LOG="$QCA_TEST_TMPDIR/default-audit.jsonl"
  mkdir "$QCA_TEST_TMPDIR"

  local status=0
  # Run in the scratch directory, where the library looks for qualys-ci-auth.toml.
  (cd "$QCA_TEST_TMPDIR" && exec "$@") >"$tmp/$name.out" 2>"$tmp/$name.err" || status=$?
  cat "$tmp/$name.out"
  if [ "$status" -ne 0 ]; then
    cat "$tmp/$name.err" >&2
    fail "$name exited with status $status"
  fi

  # Every thread and session of one process shares one JWT per credential:
  # one POST /auth for the user, one for no-cs-user, one rejected password.
  local counts
  counts=$(admin GET counters | jq -c .auth)
  [ "$(jq .succeeded <<<"$counts")" = 2 ] && [ "$(jq .rejected <<<"$counts")" = 1 ] ||
    fail "$name: expected 2 successful and 1 rejected POST /auth, the simulator counted $counts"

  # The audit logs are checked too. config.json contains the registry login by design.
  local audit_logs=("$QCA_TEST_TMPDIR"/*.jsonl)
  [ -s "$QUALYS_AUDIT_LOG" ] || fail "$name: the default audit log $QUALYS_AUDIT_LOG is empty"
  for secret in "$password" CANARY "$token" "$opaque_token" "$token_revoked" "$token_80_days" \
    "$token_100_days" "$registry_password" "$registry_auth" "$proxy_password"; do
    if grep -qsF -- "$secret" "$tmp/$name.out" "$tmp/$name.err" "${audit_logs[@]}"; then
      fail "$name: a secret appears in the program's output or an audit log"
    fi
  done
}

run shared "$tmp/qca_test_shared"
run static "$tmp/qca_test_static"
# Rust's process-wide statics (the async runtime with its worker threads, the
# HTTP clients with their connection pools, the JWT cache) live until exit.
# Valgrind reports what they hold as "still reachable", or as "possibly lost"
# where the only pointer to a block points into its middle, as a hash
# table's pointer to its control bytes does. Definite leaks and invalid
# reads or writes fail the run; no suppression file is needed.
run valgrind valgrind --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --error-exitcode=1 "$tmp/qca_test_shared"
grep -E 'lost:|reachable:|suppressed:|ERROR SUMMARY' "$tmp/valgrind.err"

# The proxies' own logs show the tunnels that the program opened.
grep -q "CONNECT 127.0.0.1:$simulator_port " "$tmp/proxy.log" ||
  fail "the proxy log shows no CONNECT to the simulator"
grep -q "CONNECT 127.0.0.1:$registry_port " "$tmp/proxy.log" ||
  fail "the proxy log shows no CONNECT to the registry"
grep -q "CONNECT 127.0.0.1:$simulator_port " "$tmp/auth-proxy.log" ||
  fail "the authenticating proxy's log shows no CONNECT to the simulator"
echo "proxy CONNECT requests: $(grep -c 'CONNECT 127.0.0.1' "$tmp/proxy.log") and" \
  "$(grep -c 'CONNECT 127.0.0.1' "$tmp/auth-proxy.log") (authenticating)"

echo "c-abi: header, symbols, stack, shared, static and valgrind runs passed"
