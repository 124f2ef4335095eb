/**
 * End-to-end tests of the QualysRegistryLogin task: the built task runs as a
 * child process with the agent's environment, loads the real native library
 * and logs in to a real Distribution registry on 127.0.0.1 (TLS, htpasswd).
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { AgentRun, Endpoint, TaskRun, runTask } from './agent';
import { assertFailedWith, assertNeverPrinted, assertResult, registeredSecrets, variables } from './assertions';
import { REGISTRY_TASK_DIR, REGISTRY_TASK_ENTRY } from './paths';
import { REGISTRY_BINARY, RealRegistry, generatePki, onPath, Pki } from './registry';

const CONNECTION_ID = '2b7e9c14-5a3d-4f60-8e1b-9d0c3f6a7b25';
const USER = 'ci-robot';
/** The registry password: a canary that must never appear in the task's output. */
const CANARY = 'qca-canary-reg-9d1e&+%=:/ "q" é';
/** The Azure Container Registry connection's service principal and its key. */
const SP_ID = '5f0c3a7e-1b2d-4e8f-9a6c-7d2e1f0b3c4a';
const SP_KEY = 'qca-canary-sp-key~Zx81.Qm_4rT';

/** Every form of `password` that must not be printed: raw, URL-encoded, base64 of user:password. */
function secretForms(user: string, password: string): [string, string][] {
    return [
        [password, 'password'],
        [encodeURIComponent(password), 'URL-encoded password'],
        [Buffer.from(`${user}:${password}`).toString('base64'), 'base64 credentials'],
    ];
}

/** Asserts that no form of the password reaches stdout or stderr. */
function assertPasswordHidden(run: TaskRun, user: string, password: string): void {
    for (const [form, label] of secretForms(user, password)) {
        assertNeverPrinted(run, form, label);
    }
}

describe('QualysRegistryLogin task', function () {
    this.timeout(90_000);

    let work: string;
    let pki: Pki;
    let registry: RealRegistry;
    let scratch: string;

    before(async function () {
        if (!onPath(REGISTRY_BINARY) || !onPath('htpasswd')) {
            const missing = `${REGISTRY_BINARY} or htpasswd is not on PATH; run scripts/setup.d/20-registry-packages.sh`;
            if (process.env['CI'] !== undefined) {
                throw new Error(missing);
            }
            console.log(`SKIPPED QualysRegistryLogin task: ${missing}`);
            this.skip();
        }
        work = fs.mkdtempSync(path.join(os.tmpdir(), 'qualys-registry-'));
        pki = generatePki(path.join(work, 'pki'));
        registry = await RealRegistry.start(pki, path.join(work, 'registry'), [
            [USER, CANARY],
            [SP_ID, SP_KEY],
        ]);
    });

    after(async function () {
        await registry?.stop();
        if (work !== undefined) {
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    beforeEach(function () {
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'qualys-registry-run-'));
    });

    afterEach(function () {
        fs.rmSync(scratch, { recursive: true, force: true });
    });

    /** Returns a Docker Registry connection of registry type Others. */
    function usernamePasswordConnection(password: string): Endpoint {
        return {
            id: CONNECTION_ID,
            url: `https://${registry.host}`,
            scheme: 'UsernamePassword',
            parameters: { registry: `https://${registry.host}`, username: USER, password, email: '' },
            data: {},
        };
    }

    /** Runs the registry task with the CA of the test registry trusted. */
    function runRegistryTask(run: AgentRun): Promise<TaskRun> {
        return runTask({
            ...run,
            inputs: { caCertFile: pki.caFile, maxAttempts: '2', deadlineSeconds: '20', ...run.inputs },
            taskDir: REGISTRY_TASK_DIR,
            entry: REGISTRY_TASK_ENTRY,
        });
    }

    /** Reads config.json in `directory` and checks its mode. */
    function readDockerConfig(directory: string): { auths: Record<string, { auth?: string }> } {
        const file = path.join(directory, 'config.json');
        assert.ok(fs.existsSync(file), `${file} was not written`);
        assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600, 'config.json must be private to its owner');
        return JSON.parse(fs.readFileSync(file, 'utf8')) as { auths: Record<string, { auth?: string }> };
    }

    it('logs in with a Docker Registry service connection', async function () {
        const dockerConfig = path.join(scratch, 'docker');
        const run = await runRegistryTask({
            inputs: { dockerRegistryServiceConnection: CONNECTION_ID, dockerConfigDir: dockerConfig },
            endpoints: [usernamePasswordConnection(CANARY)],
        });

        assertResult(run, 'Succeeded');
        const config = readDockerConfig(dockerConfig);
        assert.strictEqual(config.auths[registry.host]?.auth, Buffer.from(`${USER}:${CANARY}`).toString('base64'));
        assert.ok(run.stdout.includes(`service connection '${CONNECTION_ID}'`), run.stdout);
        assert.ok(run.stdout.includes(`Logged in to ${registry.host} as ${USER}`), run.stdout);
        const dockerConfigVariable = variables(run).get('DOCKER_CONFIG') ?? [];
        assert.deepStrictEqual(
            dockerConfigVariable.map((entry) => [entry.value, entry.secret, entry.output]).sort(),
            [
                [dockerConfig, false, false],
                [dockerConfig, false, true],
            ],
        );
        assertPasswordHidden(run, USER, CANARY);
        assert.ok(
            registeredSecrets(run).includes(Buffer.from(`${USER}:${CANARY}`).toString('base64')),
            'the base64 of user:password must be registered with task.setsecret',
        );
    });

    it('writes under Agent.TempDirectory by default', async function () {
        const run = await runRegistryTask({
            inputs: { dockerRegistryServiceConnection: CONNECTION_ID },
            endpoints: [usernamePasswordConnection(CANARY)],
            workDirectory: scratch,
        });

        assertResult(run, 'Succeeded');
        const expected = path.join(scratch, 'qualys-ci-auth', 'docker');
        const config = readDockerConfig(expected);
        assert.ok(config.auths[registry.host]?.auth !== undefined, JSON.stringify(Object.keys(config.auths)));
        assert.strictEqual(fs.statSync(expected).mode & 0o077, 0, 'the directory must not be open to others');
        assert.strictEqual(variables(run).get('DOCKER_CONFIG')?.[0]?.value, expected);
        assertPasswordHidden(run, USER, CANARY);
    });

    it('merges into the DOCKER_CONFIG of an earlier step', async function () {
        const dockerConfig = path.join(scratch, 'earlier');
        fs.mkdirSync(dockerConfig, { mode: 0o700 });
        const other = { auths: { 'registry.example.com': { auth: Buffer.from('someone:else').toString('base64') } } };
        fs.writeFileSync(path.join(dockerConfig, 'config.json'), JSON.stringify(other), { mode: 0o600 });
        const run = await runRegistryTask({
            inputs: { dockerRegistryServiceConnection: CONNECTION_ID },
            endpoints: [usernamePasswordConnection(CANARY)],
            environment: { DOCKER_CONFIG: dockerConfig },
        });

        assertResult(run, 'Succeeded');
        const config = readDockerConfig(dockerConfig);
        assert.deepStrictEqual(Object.keys(config.auths).sort(), [registry.host, 'registry.example.com'].sort());
        assertPasswordHidden(run, USER, CANARY);
    });

    it('logs in with registry, username and password inputs', async function () {
        const dockerConfig = path.join(scratch, 'docker');
        const run = await runRegistryTask({
            // The agent expands $(registryPassword) in the input and also
            // passes the secret variable itself.
            inputs: { registry: registry.host, username: USER, password: CANARY, dockerConfigDir: dockerConfig },
            secrets: { registryPassword: CANARY },
        });

        assertResult(run, 'Succeeded');
        const config = readDockerConfig(dockerConfig);
        assert.strictEqual(config.auths[registry.host]?.auth, Buffer.from(`${USER}:${CANARY}`).toString('base64'));
        assert.ok(run.stdout.includes('Using the registry, username and password inputs'), run.stdout);
        assertPasswordHidden(run, USER, CANARY);
        assert.ok(!run.stdout.includes('##vso[task.debug]password='), 'the password debug echo must be dropped');
    });

    it('logs in with an Azure Container Registry service principal', async function () {
        const dockerConfig = path.join(scratch, 'docker');
        const run = await runRegistryTask({
            inputs: { dockerRegistryServiceConnection: CONNECTION_ID, dockerConfigDir: dockerConfig },
            endpoints: [
                {
                    id: CONNECTION_ID,
                    url: `https://${registry.host}`,
                    scheme: 'ServicePrincipal',
                    parameters: {
                        loginServer: registry.host,
                        serviceprincipalid: SP_ID,
                        serviceprincipalkey: SP_KEY,
                        tenantId: '0e9d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
                    },
                    data: { registrytype: 'ACR' },
                },
            ],
        });

        assertResult(run, 'Succeeded');
        const config = readDockerConfig(dockerConfig);
        assert.strictEqual(config.auths[registry.host]?.auth, Buffer.from(`${SP_ID}:${SP_KEY}`).toString('base64'));
        assertPasswordHidden(run, SP_ID, SP_KEY);
    });

    it('fails with a wrong password', async function () {
        const wrong = 'qca-canary-wrong-Kp2&Lq:8';
        const dockerConfig = path.join(scratch, 'docker');
        const run = await runRegistryTask({
            inputs: { dockerRegistryServiceConnection: CONNECTION_ID, dockerConfigDir: dockerConfig },
            endpoints: [usernamePasswordConnection(wrong)],
        });

        assertFailedWith(run, registry.host, USER);
        assert.ok(!fs.existsSync(path.join(dockerConfig, 'config.json')), 'rejected credentials must not be stored');
        assert.strictEqual(variables(run).size, 0, 'no variable may be set after a failure');
        assertPasswordHidden(run, USER, wrong);
    });

    it('fails when the service connection is missing', async function () {
        const run = await runRegistryTask({ inputs: { dockerRegistryServiceConnection: CONNECTION_ID } });

        assertFailedWith(run, `The service connection '${CONNECTION_ID}' was not found`, 'dockerRegistryServiceConnection');
    });

    it('names a missing connection parameter', async function () {
        const connection = usernamePasswordConnection(CANARY);
        connection.parameters = { registry: `https://${registry.host}`, username: USER, password: '', email: '' };
        const run = await runRegistryTask({ inputs: { dockerRegistryServiceConnection: CONNECTION_ID }, endpoints: [connection] });

        assertFailedWith(run, `'${CONNECTION_ID}' has no 'password' authorization parameter`);
    });

    it('rejects a connection without a password', async function () {
        const run = await runRegistryTask({
            inputs: { dockerRegistryServiceConnection: CONNECTION_ID },
            endpoints: [
                {
                    id: CONNECTION_ID,
                    url: `https://${registry.host}`,
                    scheme: 'WorkloadIdentityFederation',
                    parameters: { serviceprincipalid: SP_ID, tenantid: '0e9d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b' },
                    data: { registrytype: 'ACR' },
                },
            ],
        });

        assertFailedWith(run, "uses the 'WorkloadIdentityFederation' authorization scheme", 'user name and password');
    });

    it('rejects a connection and inputs together', async function () {
        const run = await runRegistryTask({
            inputs: { dockerRegistryServiceConnection: CONNECTION_ID, registry: registry.host },
            endpoints: [usernamePasswordConnection(CANARY)],
        });

        assertFailedWith(run, 'Both dockerRegistryServiceConnection and the registry input are set');
        assertPasswordHidden(run, USER, CANARY);
    });

    it('names the missing inputs', async function () {
        const run = await runRegistryTask({ inputs: { registry: registry.host } });

        assertFailedWith(run, 'No registry credential is set', 'Missing: username, password.');
    });

    it('rejects an undefined password variable', async function () {
        const run = await runRegistryTask({ inputs: { registry: registry.host, username: USER, password: '$(registryPassword)' } });

        assertFailedWith(run, "unexpanded macro '$(registryPassword)'");
    });

    it('fails on an untrusted registry certificate', async function () {
        const run = await runRegistryTask({
            inputs: { dockerRegistryServiceConnection: CONNECTION_ID, caCertFile: '', maxAttempts: '1' },
            endpoints: [usernamePasswordConnection(CANARY)],
        });

        assertFailedWith(run, registry.host, 'caCertFile');
        assertPasswordHidden(run, USER, CANARY);
    });
});
