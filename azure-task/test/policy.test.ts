/**
 * End-to-end tests of the QualysAuthenticate task's token policy and audit
 * log: the built task runs as a child process against the gateway
 * simulator, which mints tokens with a back-dated `iat` to age them.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { runTask } from './agent';
import {
    artifactUploads,
    assertNeverPrinted,
    assertResult,
    assertVariable,
    issues,
    variables,
} from './assertions';
import { Simulator } from './simulator';

/** The artifact that receives the audit log, and its container folder. */
const AUDIT_ARTIFACT = 'qualys-ci-auth-audit';
const AUDIT_FOLDER = 'qualys-ci-auth';

/** The System.JobId that the test agent sets (see agent.ts). */
const JOB_ID = '8d3c1a52-6f0e-4b7a-9c21-5e4f3a2b1c0d';

describe('QualysAuthenticate token policy and audit log', function () {
    this.timeout(90_000);

    let simulator: Simulator;
    let scratch: string;

    before(async function () {
        simulator = await Simulator.start();
    });

    after(async function () {
        await simulator?.stop();
    });

    beforeEach(function () {
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'qualys-policy-'));
    });

    afterEach(function () {
        fs.rmSync(scratch, { recursive: true, force: true });
    });

    /** Inputs that point the task at the simulator and trust its CA. */
    function simulatorInputs(): Record<string, string> {
        return { gatewayUrl: simulator.url, caCertFile: simulator.caFile, maxAttempts: '2', deadlineSeconds: '20' };
    }

    /** Reads the audit log as JSON records. */
    function auditRecords(file: string): Record<string, unknown>[] {
        return fs
            .readFileSync(file, 'utf8')
            .split('\n')
            .filter((line) => line.length > 0)
            .map((line) => JSON.parse(line) as Record<string, unknown>);
    }

    it('passes a fresh token without issues', async function () {
        const token = await simulator.mintToken({ subject: 'fresh@example.com', modules: ['CS'] });
        const run = await runTask({ inputs: { accessToken: token, environment: 'dev', ...simulatorInputs() } });

        assertResult(run, 'Succeeded');
        assert.deepStrictEqual(issues(run, 'warning'), [], run.stdout);
        assert.deepStrictEqual(issues(run, 'error'), [], run.stdout);
        assert.ok(run.stdout.includes('Token policy (rotation): pass:'), run.stdout);
        assert.ok(run.stdout.includes('Token policy (scopes): pass:'), run.stdout);
        assert.ok(run.stdout.includes('the built-in defaults'), run.stdout);
        assertVariable(run, 'QUALYS_ACCESS_TOKEN', token, true);
        assertNeverPrinted(run, token, 'token');
    });

    it('warns about an 80-day-old token', async function () {
        const token = await simulator.mintToken({ subject: 'aging@example.com', modules: ['CS'], issued_days_ago: 80 });
        const run = await runTask({ inputs: { accessToken: token, ...simulatorInputs() } });

        assertResult(run, 'SucceededWithIssues');
        const warnings = issues(run, 'warning');
        assert.strictEqual(warnings.length, 1, `expected one warning issue: ${JSON.stringify(warnings)}`);
        assert.match(warnings[0]!, /^Token policy \(rotation\): .*80 days old/);
        assert.deepStrictEqual(issues(run, 'error'), []);
        // A warning does not keep the token from the following steps.
        assertVariable(run, 'QUALYS_ACCESS_TOKEN', token, true);
        assertNeverPrinted(run, token, 'token');
    });

    it('fails a 100-day-old token', async function () {
        const token = await simulator.mintToken({ subject: 'stale@example.com', modules: ['CS'], issued_days_ago: 100 });
        const run = await runTask({ inputs: { accessToken: token, ...simulatorInputs() } });

        assertResult(run, 'Failed');
        const errors = issues(run, 'error');
        assert.strictEqual(errors.length, 1, `expected one error issue: ${JSON.stringify(errors)}`);
        assert.match(errors[0]!, /^Token policy \(rotation\): .*100 days old/);
        assert.ok(run.stdout.includes('The token policy failed, so the task sets no variables'), run.stdout);
        assert.strictEqual(variables(run).size, 0, 'no variable may be set when the policy fails');
        assertNeverPrinted(run, token, 'token');
    });

    it('reads the policy file in the repository root', async function () {
        // 5 days of age warn under this file's limits, not under the defaults.
        const sources = path.join(scratch, 's');
        fs.mkdirSync(sources);
        fs.writeFileSync(path.join(sources, 'qualys-ci-auth.toml'), '[rotation]\nwarn_after_days = 3\nfail_after_days = 30\n');
        const token = await simulator.mintToken({ subject: 'repo-policy@example.com', modules: ['CS'], issued_days_ago: 5 });
        const run = await runTask({ inputs: { accessToken: token, ...simulatorInputs() }, workDirectory: scratch });

        assertResult(run, 'SucceededWithIssues');
        assert.ok(run.stdout.includes(`Token policy file: ${path.join(sources, 'qualys-ci-auth.toml')}`), run.stdout);
        const warnings = issues(run, 'warning');
        assert.strictEqual(warnings.length, 1, JSON.stringify(warnings));
        assert.match(warnings[0]!, /rotation/);
    });

    it('applies the policyFile input over the repository file', async function () {
        const sources = path.join(scratch, 's');
        fs.mkdirSync(sources);
        fs.writeFileSync(path.join(sources, 'qualys-ci-auth.toml'), '[rotation]\nwarn_after_days = 3\nfail_after_days = 30\n');
        const strict = path.join(scratch, 'strict.toml');
        fs.writeFileSync(strict, '[rotation]\nwarn_after_days = 1\nfail_after_days = 2\n');
        const token = await simulator.mintToken({ subject: 'input-policy@example.com', modules: ['CS'], issued_days_ago: 5 });
        const run = await runTask({ inputs: { accessToken: token, policyFile: strict, ...simulatorInputs() }, workDirectory: scratch });

        assertResult(run, 'Failed');
        assert.ok(run.stdout.includes(`Token policy file: ${strict}`), run.stdout);
        assert.strictEqual(issues(run, 'error').length, 1, run.stdout);
    });

    it('fails on a missing policy file', async function () {
        const token = await simulator.mintToken({ subject: 'no-policy@example.com', modules: ['CS'] });
        const missing = path.join(scratch, 'nowhere', 'qualys-ci-auth.toml');
        const run = await runTask({ inputs: { accessToken: token, policyFile: missing, ...simulatorInputs() } });

        const text = assertResult(run, 'Failed');
        assert.ok(text.includes(`The policyFile input names '${missing}', which does not exist`), text);
        assertNeverPrinted(run, token, 'token');
    });

    it('uploads an audit log without the token', async function () {
        const token = await simulator.mintToken({ subject: 'audited@example.com', modules: ['CS'] });
        const auditLog = path.join(scratch, 'audit.jsonl');
        const run = await runTask({ inputs: { accessToken: token, environment: 'prod', auditLog, ...simulatorInputs() } });

        assertResult(run, 'Succeeded');
        const uploads = artifactUploads(run);
        assert.strictEqual(uploads.length, 1, run.stdout);
        assert.deepStrictEqual(uploads[0]!.properties, { containerfolder: AUDIT_FOLDER, artifactname: AUDIT_ARTIFACT });
        assert.strictEqual(uploads[0]!.message, auditLog);
        // The upload command comes before the result, so that the agent
        // handles it while the step runs.
        const lines = run.stdout.split('\n');
        const uploadLine = lines.findIndex((line) => line.startsWith('##vso[artifact.upload '));
        const completeLine = lines.findIndex((line) => line.startsWith('##vso[task.complete '));
        assert.ok(uploadLine >= 0, 'no artifact.upload line');
        assert.ok(uploadLine < completeLine, 'artifact.upload must precede task.complete');

        const text = fs.readFileSync(auditLog, 'utf8');
        for (const [form, label] of [
            [token, 'token'],
            [Buffer.from(token).toString('base64'), 'base64 token'],
            [token.split('.')[2]!, 'token signature'],
        ] as const) {
            assert.ok(!text.includes(form), `the audit log contains the ${label}`);
        }
        assert.strictEqual(fs.statSync(auditLog).mode & 0o777, 0o600, 'the audit log must be private to its owner');
        const records = auditRecords(auditLog);
        const operations = records.map((record) => record['operation']);
        assert.ok(operations.includes('login'), `the audit log records the login: ${JSON.stringify(operations)}`);
        const fingerprint = variables(run).get('QUALYS_TOKEN_FINGERPRINT')?.[0]?.value;
        for (const record of records) {
            assert.strictEqual(record['platform'], 'azure-devops');
            assert.strictEqual(record['environment'], 'prod');
            assert.strictEqual(record['token_fingerprint'], fingerprint);
            assert.strictEqual(record['outcome'], 'ok');
        }
    });

    it('uploads the audit log of a failed step', async function () {
        const token = await simulator.mintToken({ subject: 'audited-stale@example.com', modules: ['CS'], issued_days_ago: 100 });
        const auditLog = path.join(scratch, 'audit.jsonl');
        const run = await runTask({ inputs: { accessToken: token, auditLog, ...simulatorInputs() } });

        assertResult(run, 'Failed');
        assert.strictEqual(artifactUploads(run).length, 1, run.stdout);
        assert.ok(!fs.readFileSync(auditLog, 'utf8').includes(token), 'the audit log contains the token');
    });

    it('keeps a default audit log per job', async function () {
        const token = await simulator.mintToken({ subject: 'default-audit@example.com', modules: ['CS'] });
        const run = await runTask({ inputs: { accessToken: token, ...simulatorInputs() }, workDirectory: scratch });

        assertResult(run, 'Succeeded');
        const expected = path.join(scratch, 'qualys-ci-auth', `audit-${JOB_ID}.jsonl`);
        assert.ok(run.stdout.includes(`Audit log: ${expected}`), run.stdout);
        const uploads = artifactUploads(run);
        assert.strictEqual(uploads.length, 1, run.stdout);
        assert.strictEqual(uploads[0]!.message, expected);
        assert.ok(fs.existsSync(expected), `${expected} was not written`);
        assert.ok(!fs.readFileSync(expected, 'utf8').includes(token), 'the audit log contains the token');
    });

    it('reports a token shared between environments', async function () {
        // Two steps of one job use the same audit log: the second one sees
        // the first one's environment for the same token.
        const token = await simulator.mintToken({ subject: 'shared@example.com', modules: ['CS'] });
        const auditLog = path.join(scratch, 'audit.jsonl');
        const first = await runTask({ inputs: { accessToken: token, environment: 'staging', auditLog, ...simulatorInputs() } });
        assertResult(first, 'Succeeded');
        const second = await runTask({ inputs: { accessToken: token, environment: 'prod', auditLog, ...simulatorInputs() } });

        assertResult(second, 'SucceededWithIssues');
        const warnings = issues(second, 'warning');
        assert.strictEqual(warnings.length, 1, JSON.stringify(warnings));
        assert.match(warnings[0]!, /^Token policy \(separate-tokens\): /);
        assert.match(warnings[0]!, /PROD and STAGING/);
    });

    it('does not upload when publishAuditLog is false', async function () {
        const token = await simulator.mintToken({ subject: 'unpublished@example.com', modules: ['CS'] });
        const auditLog = path.join(scratch, 'audit.jsonl');
        const run = await runTask({ inputs: { accessToken: token, auditLog, publishAuditLog: 'false', ...simulatorInputs() } });

        assertResult(run, 'Succeeded');
        assert.deepStrictEqual(artifactUploads(run), []);
        assert.ok(fs.existsSync(auditLog), 'the audit log is still written');
    });

    it('writes no audit log when it is off', async function () {
        const token = await simulator.mintToken({ subject: 'no-audit@example.com', modules: ['CS'] });
        const run = await runTask({ inputs: { accessToken: token, auditLog: 'off', ...simulatorInputs() }, workDirectory: scratch });

        assertResult(run, 'Succeeded');
        assert.ok(run.stdout.includes('The audit log is off'), run.stdout);
        assert.deepStrictEqual(artifactUploads(run), []);
        assert.ok(!fs.existsSync(path.join(scratch, 'qualys-ci-auth', `audit-${JOB_ID}.jsonl`)));
    });
});
