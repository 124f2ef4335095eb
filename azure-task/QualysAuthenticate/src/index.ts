/**
 * Entry point of the QualysAuthenticate task: authenticates to the Qualys
 * API gateway with an API token, verifies the token with one Container
 * Security call, checks it against the token policy, and hands it to the
 * following steps as the secret variable QUALYS_ACCESS_TOKEN.
 *
 * libqualys_ci_auth does the work through koffi. This file orders the steps
 * so that every secret is registered with the agent's masker before anything
 * can print it, uploads the audit log, and sets the task result exactly once.
 */

import * as fs from 'fs';
import * as path from 'path';

import * as tl from 'azure-pipelines-task-lib/task';

import { AUDIT_LOG_OFF, POLICY_FILE_NAME, TaskSettings, readSettings } from './inputs';
import { TaskError, loadMessages, message } from './messages';
import { QcaStatus } from './native/abi';
import { PolicyReport, QcaError, login, maskForms } from './native/client';
import { loadLibrary } from './native/library';
import { locateLibrary } from './native/locate';
import { agentProxyFor } from './proxy';
import { registerSecret } from './secrets';

/** The task folder, which contains task.json, native/ and dist/. */
const TASK_ROOT = path.join(__dirname, '..');

/** Names of the variables the task sets for later steps. */
export const VARIABLES = {
    token: 'QUALYS_ACCESS_TOKEN',
    gatewayUrl: 'QUALYS_GATEWAY_URL',
    pod: 'QUALYS_POD',
    expiresAt: 'QUALYS_TOKEN_EXPIRES_AT',
    fingerprint: 'QUALYS_TOKEN_FINGERPRINT',
    environment: 'QUALYS_ENVIRONMENT',
} as const;

/** The build artifact that receives the audit log, and its container folder. */
export const AUDIT_ARTIFACT = { name: 'qualys-ci-auth-audit', containerFolder: 'qualys-ci-auth' } as const;

/** The end of a run: the result and the message of `task.complete`. */
interface Outcome {
    result: tl.TaskResult;
    message: string;
}

/**
 * Sets a variable for the later steps of this job (`$(NAME)`) and as an
 * output variable (`$(step.NAME)`, or `dependencies.job.outputs['step.NAME']`
 * in other jobs), because Azure Pipelines offers no single command for both.
 */
function publish(name: string, value: string, secret: boolean): void {
    tl.setVariable(name, value, secret, false);
    tl.setVariable(name, value, secret, true);
}

/** Formats seconds as `3h 20m` for the log. */
function formatDuration(seconds: number): string {
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    return hours > 0 ? `${hours}h ${minutes}m` : `${minutes}m ${seconds % 60}s`;
}

/**
 * Reports the policy file and each policy check: a warning issue for
 * `warn`, an error issue for `fail`, a log line otherwise. Returns the task
 * result the report calls for.
 */
function reportPolicy(report: PolicyReport): tl.TaskResult {
    // The file the core read, which may also come from QUALYS_POLICY_FILE.
    if (report.policy.file !== null) {
        console.log(message('PolicyFile', report.policy.file));
    } else {
        console.log(message('PolicyBuiltIn', POLICY_FILE_NAME));
    }
    for (const check of report.checks) {
        if (check.status === 'warn') {
            tl.warning(message('PolicyIssue', check.id, check.message));
        } else if (check.status === 'fail') {
            tl.error(message('PolicyIssue', check.id, check.message));
        } else {
            console.log(message('PolicyCheck', check.id, check.status, check.message));
        }
    }
    if (report.status === 'fail') {
        console.log(message('PolicyFailed'));
        return tl.TaskResult.Failed;
    }
    return report.status === 'warn' ? tl.TaskResult.SucceededWithIssues : tl.TaskResult.Succeeded;
}

/**
 * Runs the task up to its result. `onSettings` receives the inputs as soon
 * as they are read, so that the audit log can be uploaded after a failure.
 */
function run(onSettings: (settings: TaskSettings) => void): Outcome {
    loadMessages(path.join(TASK_ROOT, 'task.json'));

    // The raw token is registered with the masker inside readSettings, as
    // soon as task-lib returns it.
    const settings = readSettings();
    onSettings(settings);
    if (settings.tokenSource.kind === 'connection') {
        console.log(message('TokenFromConnection', settings.tokenSource.connection));
    } else {
        console.log(message('TokenFromInput'));
    }

    const proxy = agentProxyFor(settings.gatewayUrl);

    const library = loadLibrary(locateLibrary(path.join(TASK_ROOT, 'native')));
    console.log(message('NativeLibraryLoaded', library.version, library.located.path));

    for (const form of maskForms(library, settings.token)) {
        registerSecret(form);
    }
    if (proxy.kind === 'agent') {
        if (proxy.proxy.password !== undefined) {
            for (const form of maskForms(library, proxy.proxy.password, proxy.proxy.username)) {
                registerSecret(form);
            }
        }
        console.log(message('AgentProxy', proxy.proxy.url));
    } else if (proxy.kind === 'direct') {
        console.log(message('AgentProxyBypassed', settings.gatewayUrl ?? ''));
    }
    if (settings.auditLog === AUDIT_LOG_OFF) {
        console.log(message('AuditLogOff'));
    } else {
        console.log(message('AuditLogPath', settings.auditLog));
    }

    const result = login(library, { ...settings, proxy });
    // The bearer token is the normalized API token, which may differ from the
    // raw input (a `Bearer ` prefix or surrounding whitespace removed).
    registerSecret(result.bearerToken);
    for (const form of maskForms(library, result.bearerToken)) {
        registerSecret(form);
    }

    const summary = result.summary;
    console.log(message('Authenticated', summary.gateway));
    if (summary.pod !== null) {
        console.log(message('GatewayPod', summary.pod));
    }
    if (summary.user !== null) {
        console.log(message('TokenUser', summary.user));
    }
    if (summary.expires_at !== null) {
        console.log(message('TokenExpiresAt', summary.expires_at, formatDuration(summary.expires_in_seconds ?? 0)));
    } else {
        console.log(message('TokenExpiryUnknown'));
    }
    if (settings.environment !== undefined) {
        console.log(message('Environment', settings.environment));
    }

    const policyResult = reportPolicy(result.policy);
    if (policyResult === tl.TaskResult.Failed) {
        // The issues above say why; a summary would repeat them as one more issue.
        return { result: policyResult, message: '' };
    }

    publish(VARIABLES.token, result.bearerToken, true);
    publish(VARIABLES.gatewayUrl, summary.gateway, false);
    publish(VARIABLES.pod, summary.pod ?? '', false);
    publish(VARIABLES.expiresAt, summary.expires_at ?? '', false);
    publish(VARIABLES.fingerprint, summary.token_fingerprint, false);
    publish(VARIABLES.environment, settings.environment ?? '', false);
    console.log(message('VariablesSet', Object.values(VARIABLES).join(', ')));

    return { result: policyResult, message: '' };
}

/** Uploads the audit log as a build artifact when the inputs ask for it and it exists. */
function publishAuditLog(settings: TaskSettings | undefined): void {
    if (settings === undefined || !settings.publishAuditLog || settings.auditLog === AUDIT_LOG_OFF) {
        return;
    }
    if (!fs.existsSync(settings.auditLog)) {
        tl.debug(`the audit log ${settings.auditLog} does not exist; nothing to upload`);
        return;
    }
    console.log(message('AuditLogUploaded', settings.auditLog, AUDIT_ARTIFACT.name));
    tl.uploadArtifact(AUDIT_ARTIFACT.containerFolder, settings.auditLog, AUDIT_ARTIFACT.name);
}

/** Returns the message to fail with for an error thrown by `run`. */
function failureText(error: unknown): string {
    // TaskError and QcaError carry the message to show: the task's own or the
    // core's. Anything else is a bug, shown with its message.
    if (error instanceof QcaError && error.status === QcaStatus.TlsError) {
        // The core's advice names the CLI's --ca-file option.
        return `${error.message} ${message('TlsHint')}`;
    }
    if (error instanceof TaskError || error instanceof QcaError) {
        return error.message;
    }
    if (error instanceof Error) {
        return `${error.name}: ${error.message}`;
    }
    return String(error);
}

let settingsRead: TaskSettings | undefined;
let outcome: Outcome;
try {
    outcome = run((settings) => {
        settingsRead = settings;
    });
} catch (error) {
    outcome = { result: tl.TaskResult.Failed, message: failureText(error) };
}
try {
    publishAuditLog(settingsRead);
} catch (error) {
    tl.warning(failureText(error));
}
tl.setResult(outcome.result, outcome.message);
