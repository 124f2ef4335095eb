/**
 * End-to-end tests of the QualysAuthenticate task: the built task runs as a
 * child process with the agent's environment, loads the real native library
 * and talks to the gateway simulator on 127.0.0.1.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { Endpoint, runTask } from './agent';
import {
    assertFailedWith,
    assertNeverPrinted,
    assertResult,
    assertVariable,
    issues,
    registeredSecrets,
    variables,
} from './assertions';
import { AZURE_TASK_DIR, TASK_DIR } from './paths';
import { ConnectProxy } from './proxy';
import { Simulator } from './simulator';

const CONNECTION_ID = '6f1c2a4e-0d7b-4c5e-9a83-2b1f0e7d4c19';

/** The rule sentence that every rejected credential pairing quotes. */
const RULE =
    'an API access token is used with the QScanner backend on every platform; ' +
    'a user name and password are used only with the CICD Sensor backend, and only on Jenkins';

/** Builds a Qualys Platform service connection with the Token scheme. */
function tokenConnection(token: string, data: Record<string, string>): Endpoint {
    return {
        id: CONNECTION_ID,
        url: 'https://qualys-platform.invalid',
        scheme: 'Token',
        parameters: { apitoken: token },
        data,
    };
}

describe('QualysAuthenticate task', function () {
    this.timeout(90_000);

    let simulator: Simulator;

    before(async function () {
        simulator = await Simulator.start();
    });

    after(async function () {
        await simulator?.stop();
    });

    /** Inputs that point the task at the simulator and trust its CA. */
    function simulatorInputs(): Record<string, string> {
        return { caCertFile: simulator.caFile, requestTimeoutSeconds: '10', deadlineSeconds: '20', maxAttempts: '2' };
    }

    it('authenticates with a service connection token', async function () {
        const token = await simulator.mintToken({ subject: 'scanner@example.com', modules: ['CS'] });
        const run = await runTask({
            inputs: { qualysConnection: CONNECTION_ID, environment: 'staging', ...simulatorInputs() },
            endpoints: [tokenConnection(token, { gatewayUrl: simulator.url })],
        });

        assertResult(run, 'Succeeded');
        assertVariable(run, 'QUALYS_ACCESS_TOKEN', token, true);
        assertVariable(run, 'QUALYS_GATEWAY_URL', simulator.url, false);
        assertVariable(run, 'QUALYS_POD', '', false);
        assertVariable(run, 'QUALYS_TOKEN_EXPIRES_AT', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, false);
        assertVariable(run, 'QUALYS_TOKEN_FINGERPRINT', /^[0-9a-f]{16}$/, false);
        assertVariable(run, 'QUALYS_ENVIRONMENT', 'staging', false);
        assert.ok(registeredSecrets(run).includes(token), 'the token must be registered with task.setsecret');
        assert.ok(run.stdout.includes('Token user: scanner@example.com'), `the log names the token's user:\n${run.stdout}`);
        assert.ok(run.stdout.includes("service connection '" + CONNECTION_ID + "'"));
        assertNeverPrinted(run, token, 'token');
        // The base64 form is registered too, for steps that print it encoded.
        const base64 = Buffer.from(token, 'utf8').toString('base64');
        assert.ok(registeredSecrets(run).includes(base64), 'the base64 form of the token must be registered');
        assertNeverPrinted(run, base64, 'base64 token');
    });

    it('authenticates with a variable-group token input', async function () {
        const token = await simulator.mintToken({ subject: 'group@example.com', modules: ['CS', 'VM SCANNER'] });
        const run = await runTask({
            // The agent expands $(qualysToken) in the input and also passes the
            // secret variable itself.
            inputs: { accessToken: token, gatewayUrl: simulator.url, ...simulatorInputs() },
            secrets: { qualysToken: token },
        });

        // The token policy requires exactly the CS scope by default, so the
        // extra module is a warning, and the token is still handed on.
        assertResult(run, 'SucceededWithIssues');
        const warnings = issues(run, 'warning');
        assert.strictEqual(warnings.length, 1, JSON.stringify(warnings));
        assert.match(warnings[0]!, /^Token policy \(scopes\): .*VM SCANNER/);
        assertVariable(run, 'QUALYS_ACCESS_TOKEN', token, true);
        assertVariable(run, 'QUALYS_GATEWAY_URL', simulator.url, false);
        assert.ok(run.stdout.includes('accessToken input'), run.stdout);
        assertNeverPrinted(run, token, 'token');
        // task-lib would echo the input in a debug line; the task silences it.
        assert.ok(!run.stdout.includes('##vso[task.debug]accessToken='), 'the accessToken debug echo must be dropped');
    });

    it('normalizes a pasted Bearer token', async function () {
        const token = await simulator.mintToken({ subject: 'paste@example.com', modules: ['CS'] });
        const pasted = `Bearer ${token}\n`;
        const run = await runTask({ inputs: { accessToken: pasted, gatewayUrl: simulator.url, ...simulatorInputs() } });

        assertResult(run, 'Succeeded');
        assertVariable(run, 'QUALYS_ACCESS_TOKEN', token, true);
        assertNeverPrinted(run, token, 'token');
        assertNeverPrinted(run, `Bearer ${token}`, 'pasted token');
    });

    it('trusts the agent CA setting', async function () {
        const token = await simulator.mintToken({ subject: 'agent-ca@example.com', modules: ['CS'] });
        const run = await runTask({
            inputs: { accessToken: token, gatewayUrl: simulator.url, maxAttempts: '1' },
            variables: { 'Agent.CAInfo': simulator.caFile },
        });

        assertResult(run, 'Succeeded');
        assert.ok(run.stdout.includes(`from ${simulator.caFile} (Agent.CAInfo)`), run.stdout);
        assertNeverPrinted(run, token, 'token');
    });

    it('tunnels through the agent proxy', async function () {
        const username = 'proxy-user';
        const password = 'qca-canary-proxy-P@ss:w/rd';
        const proxy = await ConnectProxy.start({ username, password });
        const probeDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'qualys-env-probe-'));
        try {
            const token = await simulator.mintToken({ subject: 'proxied@example.com', modules: ['CS'] });
            const probe = path.join(probeDirectory, 'environment.json');
            const run = await runTask({
                inputs: { accessToken: token, gatewayUrl: simulator.url, ...simulatorInputs() },
                variables: { 'Agent.ProxyUrl': proxy.url, 'Agent.ProxyUsername': username },
                secrets: { 'Agent.ProxyPassword': password },
                // The environment's proxy variables stay as they are: NO_PROXY
                // exempts 127.0.0.1, so a request reaches this proxy only if
                // the task passed the agent's proxy to the library itself.
                environmentProbe: probe,
            });

            assertResult(run, 'Succeeded');
            assert.ok(run.stdout.includes(`agent's proxy ${proxy.url}`), run.stdout);
            const target = new URL(simulator.url).host;
            assert.ok(proxy.requests.length >= 1, 'the proxy received no CONNECT request');
            for (const request of proxy.requests) {
                assert.strictEqual(request.target, target);
                assert.strictEqual(request.authorization, 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64'));
            }
            assertNeverPrinted(run, token, 'token');
            // task-lib 5 echoes Agent.ProxyPassword into a debug line when it
            // loads, before the task runs. The agent masks that line because
            // the password is one of its own secret variables.
            const taskLibEcho = (line: string): boolean => line === `##vso[task.debug]Agent.ProxyPassword=${password}`;
            assertNeverPrinted(run, password, 'proxy password', taskLibEcho);
            assertNeverPrinted(run, encodeURIComponent(password), 'encoded proxy password');
            const basic = Buffer.from(`${username}:${password}`).toString('base64');
            assert.ok(registeredSecrets(run).includes(basic), 'the proxy credentials in base64 must be registered');

            // The password reached the library as bytes, not through the
            // process environment, which the library's children would inherit.
            const environment = JSON.parse(fs.readFileSync(probe, 'utf8')) as Record<string, string>;
            assert.ok(Object.keys(environment).length > 0, 'the environment probe recorded nothing');
            for (const [name, value] of Object.entries(environment)) {
                for (const form of [password, encodeURIComponent(password), basic]) {
                    assert.ok(!value.includes(form), `the environment variable ${name} holds the proxy password`);
                }
            }
            assert.strictEqual(environment['HTTPS_PROXY'], 'http://127.0.0.1:9', 'HTTPS_PROXY must be left as the agent set it');
        } finally {
            await proxy.stop();
            fs.rmSync(probeDirectory, { recursive: true, force: true });
        }
    });

    it('bypasses the proxy for listed hosts', async function () {
        const proxy = await ConnectProxy.start();
        try {
            const token = await simulator.mintToken({ subject: 'bypass@example.com', modules: ['CS'] });
            const run = await runTask({
                inputs: { accessToken: token, gatewayUrl: simulator.url, ...simulatorInputs() },
                variables: { 'Agent.ProxyUrl': proxy.url, 'Agent.ProxyBypassList': JSON.stringify(['127\\.0\\.0\\.1']) },
                // The environment's proxy (a closed port) covers 127.0.0.1 now:
                // only a direct connection, as the bypass list asks, succeeds.
                environment: { NO_PROXY: '' },
            });

            assertResult(run, 'Succeeded');
            assert.strictEqual(proxy.requests.length, 0, 'a bypassed gateway must be reached directly');
            assert.ok(!run.stdout.includes("agent's proxy " + proxy.url), run.stdout);
            assert.ok(run.stdout.includes(`bypass list (Agent.ProxyBypassList) matches ${simulator.url}`), run.stdout);
        } finally {
            await proxy.stop();
        }
    });

    it('uses the environment proxy without an agent proxy', async function () {
        const proxy = await ConnectProxy.start();
        try {
            const token = await simulator.mintToken({ subject: 'env-proxy@example.com', modules: ['CS'] });
            const run = await runTask({
                inputs: { accessToken: token, gatewayUrl: simulator.url, ...simulatorInputs() },
                environment: { HTTPS_PROXY: proxy.url, NO_PROXY: '' },
            });

            assertResult(run, 'Succeeded');
            assert.ok(proxy.requests.length >= 1, 'without an agent proxy, HTTPS_PROXY of the environment applies');
            assertNeverPrinted(run, token, 'token');
        } finally {
            await proxy.stop();
        }
    });

    it('fails on an untrusted gateway certificate', async function () {
        const token = await simulator.mintToken({ subject: 'no-ca@example.com', modules: ['CS'] });
        const run = await runTask({ inputs: { accessToken: token, gatewayUrl: simulator.url, maxAttempts: '1' } });

        assertFailedWith(run, 'TLS', '127.0.0.1', 'caCertFile');
        assertNeverPrinted(run, token, 'token');
        assert.strictEqual(variables(run).size, 0, 'no variable may be set after a failure');
    });

    it('reports an opaque token without expiry', async function () {
        const token = await simulator.mintToken({ subject: 'opaque@example.com', modules: ['CS'], opaque: true });
        const run = await runTask({ inputs: { accessToken: token, gatewayUrl: simulator.url, ...simulatorInputs() } });

        assertResult(run, 'Succeeded');
        assertVariable(run, 'QUALYS_ACCESS_TOKEN', token, true);
        assertVariable(run, 'QUALYS_TOKEN_EXPIRES_AT', '', false);
        assert.ok(run.stdout.includes('not a JWT'), run.stdout);
        assertNeverPrinted(run, token, 'token');
    });

    it('fails without a platform', async function () {
        const token = await simulator.mintToken({ subject: 'no-pod@example.com', modules: ['CS'] });
        const run = await runTask({ inputs: { accessToken: token, ...simulatorInputs() } });

        assertFailedWith(run, 'No Qualys platform is set', 'pod', 'gatewayUrl');
        assertNeverPrinted(run, token, 'token');
    });

    it('rejects a POD and a gateway URL together', async function () {
        const token = await simulator.mintToken({ subject: 'two-platforms@example.com', modules: ['CS'] });
        const run = await runTask({
            inputs: { qualysConnection: CONNECTION_ID, ...simulatorInputs() },
            endpoints: [tokenConnection(token, { pod: 'EU1', gatewayUrl: simulator.url })],
        });

        assertFailedWith(run, "Both a POD ('EU1') and a gateway URL", simulator.url);
        assertNeverPrinted(run, token, 'token');
    });

    it('fails without any credential', async function () {
        const run = await runTask({ inputs: { gatewayUrl: simulator.url } });

        assertFailedWith(run, 'No Qualys credential is set', 'qualysConnection', 'accessToken');
    });

    it('fails when the service connection is missing', async function () {
        const run = await runTask({ inputs: { qualysConnection: CONNECTION_ID, ...simulatorInputs() } });

        assertFailedWith(run, `The service connection '${CONNECTION_ID}' was not found`);
    });

    it('fails when the connection holds no token', async function () {
        const run = await runTask({
            inputs: { qualysConnection: CONNECTION_ID, ...simulatorInputs() },
            endpoints: [tokenConnection('', { gatewayUrl: simulator.url })],
        });

        assertFailedWith(run, `'${CONNECTION_ID}' holds no API token`, "'apitoken'");
    });

    it('rejects both token sources at once', async function () {
        const token = await simulator.mintToken({ subject: 'both@example.com', modules: ['CS'] });
        const run = await runTask({
            inputs: { qualysConnection: CONNECTION_ID, accessToken: token, ...simulatorInputs() },
            endpoints: [tokenConnection(token, { gatewayUrl: simulator.url })],
        });

        assertFailedWith(run, 'Both qualysConnection and accessToken are set');
        assertNeverPrinted(run, token, 'token');
    });

    it('rejects an undefined variable macro', async function () {
        const run = await runTask({ inputs: { accessToken: '$(qualysToken)', gatewayUrl: simulator.url } });

        assertFailedWith(run, "unexpanded macro '$(qualysToken)'", "no variable named 'qualysToken'");
    });

    it('fails with an invalid token', async function () {
        const canary = 'qca-canary-invalid-7Hq2LmX9pZ4w';
        const run = await runTask({ inputs: { accessToken: canary, gatewayUrl: simulator.url, ...simulatorInputs() } });

        assertFailedWith(run, 'rejected the access token (HTTP 401)', simulator.url);
        assertNeverPrinted(run, canary, 'canary token');
        assert.ok(registeredSecrets(run).includes(canary), 'the raw input must be registered before anything else');
        assert.strictEqual(variables(run).size, 0, 'no variable may be set after a failure');
    });

    it('fails with a revoked token', async function () {
        const token = await simulator.mintToken({ subject: 'revoked@example.com', modules: ['CS'] });
        assert.strictEqual(await simulator.revokeToken(token), 1);
        const run = await runTask({
            inputs: { qualysConnection: CONNECTION_ID, ...simulatorInputs() },
            endpoints: [tokenConnection(token, { gatewayUrl: simulator.url })],
        });

        assertFailedWith(run, 'rejected the access token (HTTP 401)', 'invalid, expired or revoked');
        assertNeverPrinted(run, token, 'token');
        assert.strictEqual(variables(run).size, 0, 'no variable may be set after a failure');
    });

    it('fails with an expired token', async function () {
        const token = await simulator.mintToken({ subject: 'expired@example.com', modules: ['CS'], issued_days_ago: 3, lifetime_seconds: 3600 });
        const run = await runTask({ inputs: { accessToken: token, gatewayUrl: simulator.url, ...simulatorInputs() } });

        assertFailedWith(run, 'expired');
        assertNeverPrinted(run, token, 'token');
    });

    it('fails with a JWT without Container Security', async function () {
        const token = await simulator.mintToken({ subject: 'vm-only@example.com', modules: ['VM SCANNER'] });
        const before = (await simulator.requestCounts())['/csapi/v1.3/images'] ?? 0;
        const run = await runTask({
            inputs: { qualysConnection: CONNECTION_ID, ...simulatorInputs() },
            endpoints: [tokenConnection(token, { gatewayUrl: simulator.url })],
        });

        assertFailedWith(run, 'Container Security', 'VM SCANNER');
        assertNeverPrinted(run, token, 'token');
        const after = (await simulator.requestCounts())['/csapi/v1.3/images'] ?? 0;
        assert.ok(after - before <= 1, `expected at most one verification request, got ${after - before}`);
    });

    it('fails with an opaque token without Container Security', async function () {
        // The claims of an opaque token are unknown, so only the gateway's
        // HTTP 403 can show the missing module.
        const token = await simulator.mintToken({ subject: 'vm-opaque@example.com', modules: ['VM SCANNER'], opaque: true });
        const before = (await simulator.requestCounts())['/csapi/v1.3/images'] ?? 0;
        const run = await runTask({ inputs: { accessToken: token, gatewayUrl: simulator.url, ...simulatorInputs() } });

        const text = assertFailedWith(run, 'Container Security');
        assert.match(text, /403/);
        assertNeverPrinted(run, token, 'token');
        const after = (await simulator.requestCounts())['/csapi/v1.3/images'] ?? 0;
        assert.strictEqual(after - before, 1, 'a 403 is not retried');
    });

    it('rejects a username and password connection', async function () {
        const password = 'qca-canary-password-Vb83kPq';
        const run = await runTask({
            inputs: { qualysConnection: CONNECTION_ID, ...simulatorInputs() },
            endpoints: [
                {
                    id: CONNECTION_ID,
                    url: 'https://qualys-platform.invalid',
                    scheme: 'UsernamePassword',
                    parameters: { username: 'demo-user', password },
                    data: { gatewayUrl: simulator.url },
                },
            ],
        });

        assertFailedWith(run, "uses the 'UsernamePassword' authorization scheme", RULE);
        assert.ok(!run.stdout.includes(password), 'the password appears in stdout');
        assert.ok(!run.stderr.includes(password), 'the password appears in stderr');
    });

    it('passes the connection POD to the core', async function () {
        // An unknown POD fails in the core before any request, so no real
        // gateway is ever contacted.
        const token = await simulator.mintToken({ subject: 'pod@example.com', modules: ['CS'] });
        const run = await runTask({
            inputs: { qualysConnection: CONNECTION_ID, ...simulatorInputs() },
            endpoints: [tokenConnection(token, { pod: 'ZZ9' })],
        });

        assertFailedWith(run, 'ZZ9', 'US1', 'KSA1');
        assertNeverPrinted(run, token, 'token');
    });

    it('lets task inputs replace the connection platform', async function () {
        const token = await simulator.mintToken({ subject: 'override@example.com', modules: ['CS'] });
        const run = await runTask({
            inputs: { qualysConnection: CONNECTION_ID, gatewayUrl: simulator.url, ...simulatorInputs() },
            endpoints: [tokenConnection(token, { pod: 'ZZ9' })],
        });

        assertResult(run, 'Succeeded');
        assertVariable(run, 'QUALYS_GATEWAY_URL', simulator.url, false);
        assertNeverPrinted(run, token, 'token');
    });

    it('rejects a malformed number input', async function () {
        const token = await simulator.mintToken({ subject: 'number@example.com', modules: ['CS'] });
        const run = await runTask({
            inputs: { accessToken: token, gatewayUrl: simulator.url, caCertFile: simulator.caFile, maxAttempts: 'three' },
        });

        assertFailedWith(run, 'The maxAttempts input must be a whole number from 1 to 100', "'three'");
        assertNeverPrinted(run, token, 'token');
    });

    it('fails on a missing CA file', async function () {
        const token = await simulator.mintToken({ subject: 'ca-file@example.com', modules: ['CS'] });
        const missing = path.join(os.tmpdir(), 'qualys-no-such-dir', 'ca.pem');
        const run = await runTask({ inputs: { accessToken: token, gatewayUrl: simulator.url, caCertFile: missing } });

        assertFailedWith(run, `Could not read the CA certificate file '${missing}' given by the caCertFile input`, 'ENOENT');
        assertNeverPrinted(run, token, 'token');
    });

    it('leaves no taskkey in the repository', function () {
        // task-lib writes .taskkey into Agent.TempDirectory, which each run
        // sets to its own temporary directory.
        for (const directory of [AZURE_TASK_DIR, TASK_DIR, path.join(TASK_DIR, 'dist')]) {
            assert.ok(!fs.existsSync(path.join(directory, '.taskkey')), `${directory} contains a .taskkey file`);
        }
    });

    /** Copies the built task without native/, as shipped for a target without a library. */
    function copyTaskWithoutNative(): string {
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'qualys-task-copy-'));
        for (const entry of ['dist', 'task.json', 'task.loc.json', 'Strings']) {
            fs.cpSync(path.join(TASK_DIR, entry), path.join(copy, entry), { recursive: true });
        }
        fs.symlinkSync(path.join(TASK_DIR, 'node_modules'), path.join(copy, 'node_modules'));
        return copy;
    }

    it('names the missing native library', async function () {
        const copy = copyTaskWithoutNative();
        try {
            const token = await simulator.mintToken({ subject: 'native@example.com', modules: ['CS'] });
            const run = await runTask({
                inputs: { accessToken: token, gatewayUrl: simulator.url, ...simulatorInputs() },
                entry: path.join(copy, 'dist', 'index.js'),
            });

            const expected = path.join(copy, 'native', `${process.platform}-${process.arch}`, 'libqualys_ci_auth.so');
            assertFailedWith(run, 'ships no native library', expected, 'Shipped targets: none');
            assertNeverPrinted(run, token, 'token');
        } finally {
            fs.rmSync(copy, { recursive: true, force: true });
        }
    });

    it('reports a native library that fails to load', async function () {
        const copy = copyTaskWithoutNative();
        try {
            const directory = path.join(copy, 'native', `${process.platform}-${process.arch}`);
            fs.mkdirSync(directory, { recursive: true });
            const broken = path.join(directory, 'libqualys_ci_auth.so');
            fs.writeFileSync(broken, 'this is not an ELF file\n');
            const token = await simulator.mintToken({ subject: 'broken@example.com', modules: ['CS'] });
            const run = await runTask({
                inputs: { accessToken: token, gatewayUrl: simulator.url, ...simulatorInputs() },
                entry: path.join(copy, 'dist', 'index.js'),
            });

            const text = assertFailedWith(run, `Loading the native library ${broken} on ${process.platform}-${process.arch}`);
            if (process.platform === 'linux') {
                assert.match(text, /with (glibc \d+\.\d+|musl libc)/, 'the message names the detected C library');
            }
            assertNeverPrinted(run, token, 'token');
        } finally {
            fs.rmSync(copy, { recursive: true, force: true });
        }
    });
});
