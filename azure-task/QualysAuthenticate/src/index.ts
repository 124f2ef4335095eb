/**
 * Entry point of the QualysAuthenticate task: authenticates to the Qualys
 * API gateway with an API token, verifies the token with one Container
 * Security call, and hands it to the following steps as the secret variable
 * QUALYS_ACCESS_TOKEN.
 *
 * libqualys_ci_auth does the work through koffi. This file orders the steps
 * so that every secret is registered with the agent's masker before anything
 * can print it, and it sets the task result exactly once.
 */

import * as path from 'path';

import * as tl from 'azure-pipelines-task-lib/task';

import { readSettings } from './inputs';
import { TaskError, loadMessages, message } from './messages';
import { QcaStatus } from './native/abi';
import { QcaError, login, maskForms } from './native/client';
import { loadLibrary } from './native/library';
import { locateLibrary } from './native/locate';
import { applyProxy, readAgentProxy } from './proxy';
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

function run(): void {
    loadMessages(path.join(TASK_ROOT, 'task.json'));

    // The raw token is registered with the masker inside readSettings, as
    // soon as task-lib returns it.
    const settings = readSettings();
    if (settings.tokenSource.kind === 'connection') {
        console.log(message('TokenFromConnection', settings.tokenSource.connection));
    } else {
        console.log(message('TokenFromInput'));
    }

    const proxy = readAgentProxy(settings.gatewayUrl);

    const library = loadLibrary(locateLibrary(path.join(TASK_ROOT, 'native')));
    console.log(message('NativeLibraryLoaded', library.version, library.located.path));

    for (const form of maskForms(library, settings.token)) {
        registerSecret(form);
    }
    if (proxy !== undefined) {
        if (proxy.password !== undefined) {
            for (const form of maskForms(library, proxy.password, proxy.username)) {
                registerSecret(form);
            }
        }
        applyProxy(proxy);
        console.log(message('AgentProxy', proxy.url));
    }

    const result = login(library, settings);
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

    publish(VARIABLES.token, result.bearerToken, true);
    publish(VARIABLES.gatewayUrl, summary.gateway, false);
    publish(VARIABLES.pod, summary.pod ?? '', false);
    publish(VARIABLES.expiresAt, summary.expires_at ?? '', false);
    publish(VARIABLES.fingerprint, summary.token_fingerprint, false);
    publish(VARIABLES.environment, settings.environment ?? '', false);
    console.log(message('VariablesSet', Object.values(VARIABLES).join(', ')));

    tl.setResult(tl.TaskResult.Succeeded, '');
}

try {
    run();
} catch (error) {
    // TaskError and QcaError carry the message to show: the task's own or the
    // core's. Anything else is a bug, shown with its message.
    let text: string;
    if (error instanceof QcaError && error.status === QcaStatus.TlsError) {
        // The core's advice names the CLI's --ca-file option.
        text = `${error.message} ${message('TlsHint')}`;
    } else if (error instanceof TaskError || error instanceof QcaError) {
        text = error.message;
    } else if (error instanceof Error) {
        text = `${error.name}: ${error.message}`;
    } else {
        text = String(error);
    }
    tl.setResult(tl.TaskResult.Failed, text);
}
