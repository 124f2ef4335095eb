#!/usr/bin/env node
/**
 * Micro-benchmark of one koffi call into libqualys_ci_auth: the time per
 * `qca_session_bearer_token` call on a session whose token is cached, as the
 * Azure task binds it (the declarations of
 * QualysAuthenticate/dist/native/abi.js, loaded by its library.js). For
 * scale it also times `qca_version`, a call that does no work, and the same
 * function with a NULL session, which the library rejects at once: that is
 * koffi's cost of passing the buffer and the out-parameters.
 *
 * Not run in CI. Build first (scripts/test.d/40-azure-task.sh does all of
 * it: cargo build, the library copied into QualysAuthenticate/native/, tsc),
 * then from azure-task/:
 *
 *   QUALYS_SIMULATOR_BIN=$CARGO_TARGET_DIR/debug/qualys-gateway-simulator node bench/bearer.js
 *
 * Options (environment): BENCH_CALLS (default 200000 per run), BENCH_RUNS
 * (5), BENCH_WARMUP (20000), QUALYS_NATIVE_DIR (default
 * QualysAuthenticate/native, which the suite fills with a debug build; point
 * it at a directory with linux-x64/libqualys_ci_auth.so from
 * `cargo build --release` to time the optimized library). It starts the gateway simulator on 127.0.0.1,
 * mints one API token there, logs in once, then calls the function in a
 * tight loop. The result is the best run, in nanoseconds per call. The
 * audit log is off, so that no call writes a file.
 */
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const https = require('https');
const os = require('os');
const path = require('path');
const readline = require('readline');

const AZURE_TASK_DIR = path.join(__dirname, '..');
const TASK_DIR = path.join(AZURE_TASK_DIR, 'QualysAuthenticate');
const REPO_ROOT = path.join(AZURE_TASK_DIR, '..');

// task-lib, which the task modules load, writes a .taskkey file into
// Agent.TempDirectory when it loads.
const tempDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'qualys-bench-'));
process.env['AGENT_TEMPDIRECTORY'] = tempDirectory;

const { QcaStatus } = require(path.join(TASK_DIR, 'dist', 'native', 'abi.js'));
const { loadLibrary } = require(path.join(TASK_DIR, 'dist', 'native', 'library.js'));
const { locateLibrary } = require(path.join(TASK_DIR, 'dist', 'native', 'locate.js'));

const CALLS = Number(process.env['BENCH_CALLS'] ?? 200_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 20_000);
const NATIVE_DIR = process.env['QUALYS_NATIVE_DIR'] ?? path.join(TASK_DIR, 'native');

const SIMULATOR_BIN =
    process.env['QUALYS_SIMULATOR_BIN'] ??
    path.join(process.env['CARGO_TARGET_DIR'] ?? path.join(REPO_ROOT, 'target'), 'debug', 'qualys-gateway-simulator');

/** Starts the simulator and resolves with its process and ready line. */
function startSimulator() {
    const child = spawn(SIMULATOR_BIN, ['--exit-on-stdin-eof'], { stdio: ['pipe', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`the simulator exited with ${code} before it was ready`)));
        readline.createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, ready: JSON.parse(line) }));
    });
}

/** Mints a token with the simulator's control API. */
function mintToken(ready) {
    const body = JSON.stringify({ subject: 'bench@example.com', modules: ['CS'] });
    return new Promise((resolve, reject) => {
        const request = https.request(
            new URL('/__simulator/tokens', ready.url),
            { method: 'POST', ca: ready.ca_pem, headers: { 'content-type': 'application/json', 'content-length': body.length } },
            (response) => {
                let text = '';
                response.on('data', (chunk) => (text += chunk));
                response.on('end', () =>
                    response.statusCode === 200 ? resolve(JSON.parse(text).token) : reject(new Error(`mint: HTTP ${response.statusCode} ${text}`)),
                );
            },
        );
        request.on('error', reject);
        request.end(body);
    });
}

/** Throws when a call did not return QCA_OK. */
function ok(call, status) {
    if (status !== QcaStatus.Ok) {
        throw new Error(`${call} returned status ${status}`);
    }
}

/** Returns the best of `RUNS` timings of `CALLS` calls of `body`, in ns per call. */
function bestNsPerCall(body) {
    for (let i = 0; i < WARMUP; i++) {
        body();
    }
    const runs = [];
    for (let run = 0; run < RUNS; run++) {
        const start = process.hrtime.bigint();
        for (let i = 0; i < CALLS; i++) {
            body();
        }
        runs.push(Number(process.hrtime.bigint() - start) / CALLS);
    }
    return { best: Math.min(...runs), runs };
}

async function main() {
    const { child, ready } = await startSimulator();
    try {
        const token = await mintToken(ready);
        const library = loadLibrary(locateLibrary(NATIVE_DIR));
        const api = library.api;

        const configOut = [null];
        ok('qca_config_new', api.qca_config_new(configOut));
        const config = configOut[0];
        const pem = Buffer.from(ready.ca_pem);
        ok('qca_config_set_platform', api.qca_config_set_platform(config, 'azure-devops'));
        ok('qca_config_set_gateway_url', api.qca_config_set_gateway_url(config, ready.url));
        ok('qca_config_set_ca_pem', api.qca_config_set_ca_pem(config, pem, pem.length));
        ok('qca_config_set_audit_log', api.qca_config_set_audit_log(config, 'off'));
        ok('qca_config_set_proxy', api.qca_config_set_proxy(config, 'none', null, null, 0, null));
        const secret = Buffer.from(token);
        ok('qca_config_set_api_token', api.qca_config_set_api_token(config, secret, secret.length));
        secret.fill(0);

        const sessionOut = [null];
        const errorOut = [null];
        ok('qca_session_new', api.qca_session_new(config, sessionOut, errorOut));
        const session = sessionOut[0];
        ok('qca_session_login', api.qca_session_login(session, [null], errorOut));

        // The loop reuses its buffer and out-parameter arrays, as a host that
        // fetches the token per request would.
        const buffer = Buffer.alloc(4096);
        const needed = [0];
        const bearer = bestNsPerCall(() => {
            if (api.qca_session_bearer_token(session, buffer, buffer.length, needed, errorOut) !== QcaStatus.Ok) {
                throw new Error('qca_session_bearer_token failed');
            }
        });
        buffer.fill(0);
        const version = bestNsPerCall(() => api.qca_version());
        // The same signature with a NULL session, which the library rejects
        // before any work and without an error object (error_out is NULL):
        // koffi's cost of marshalling the buffer and the out-parameters.
        const rejected = bestNsPerCall(() => {
            if (api.qca_session_bearer_token(null, buffer, buffer.length, needed, null) !== QcaStatus.NullArgument) {
                throw new Error('qca_session_bearer_token accepted a NULL session');
            }
        });

        api.qca_session_free(session);
        api.qca_config_free(config);

        const cpus = os.cpus();
        console.log(`qualys-ci-auth ${library.version} (${library.located.path}), koffi ${require(path.join(TASK_DIR, 'node_modules', 'koffi', 'package.json')).version}, Node ${process.version}`);
        console.log(`${cpus.length} CPUs (${cpus[0]?.model ?? 'unknown'}); ${CALLS} calls per run after ${WARMUP} warm-up calls, best of ${RUNS} runs`);
        console.log(`qca_session_bearer_token: ${bearer.best.toFixed(0)} ns/call (runs: ${bearer.runs.map((ns) => ns.toFixed(0)).join(', ')})`);
        console.log(`qca_version (call overhead): ${version.best.toFixed(0)} ns/call (runs: ${version.runs.map((ns) => ns.toFixed(0)).join(', ')})`);
        console.log(`qca_session_bearer_token, NULL session (marshalling): ${rejected.best.toFixed(0)} ns/call (runs: ${rejected.runs.map((ns) => ns.toFixed(0)).join(', ')})`);
    } finally {
        child.stdin.end();
        fs.rmSync(tempDirectory, { recursive: true, force: true });
    }
}

main().catch((error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
});
