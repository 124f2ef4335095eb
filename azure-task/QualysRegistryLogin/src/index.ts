/**
 * Entry point of the QualysRegistryLogin task: verifies container registry
 * credentials with the registry's HTTP API V2 and stores them in Docker's
 * `config.json` for the following steps, through libqualys_ci_auth
 * (`qca_registry_login`).
 *
 * The password and every form of it that a log could show are registered
 * with the agent's masker before the library is called, and the task sets
 * its result exactly once.
 */

import * as path from 'path';

import * as tl from 'azure-pipelines-task-lib/task';

import { TaskError, loadMessages, message } from '../../QualysAuthenticate/src/messages';
import { QcaStatus } from '../../QualysAuthenticate/src/native/abi';
import { QcaError, RegistryLoginReport, maskForms, registryLogin } from '../../QualysAuthenticate/src/native/client';
import { loadLibrary } from '../../QualysAuthenticate/src/native/library';
import { locateLibrary } from '../../QualysAuthenticate/src/native/locate';
import { agentProxyFor } from '../../QualysAuthenticate/src/proxy';
import { registerSecret } from '../../QualysAuthenticate/src/secrets';
import { readRegistrySettings } from './inputs';

/** The task folder, which contains task.json, native/ and dist/ (this file is dist/QualysRegistryLogin/src/index.js). */
const TASK_ROOT = path.join(__dirname, '..', '..', '..');

/** The variable that points Docker clients at the written `config.json`. */
export const DOCKER_CONFIG_VARIABLE = 'DOCKER_CONFIG';

/**
 * Returns the URL that the agent's proxy bypass list is matched against:
 * the registry as given when it is a URL, else `https://` and the name up
 * to the first `/`.
 */
function requestUrl(registry: string): string {
    if (registry.includes('://')) {
        return registry;
    }
    return `https://${registry.split('/')[0] ?? registry}`;
}

/** Prints where the credentials went, or why nothing was stored. */
function reportLogin(report: RegistryLoginReport, username: string): void {
    if (report.status !== 'logged-in') {
        console.log(message('RegistrySkipped', report.registry, report.reason ?? report.status));
        return;
    }
    console.log(message('RegistryLoggedIn', report.registry, report.username ?? username, report.verification ?? 'verified'));
    if (report.stored_in === 'credential-helper' && report.credential_helper !== null) {
        console.log(message('RegistryStoredInHelper', report.config_key, report.credential_helper));
    } else {
        console.log(message('RegistryStoredInFile', report.config_key, report.config_path ?? ''));
    }
}

function run(): void {
    loadMessages(path.join(TASK_ROOT, 'task.json'));

    // The raw password is registered with the masker inside
    // readRegistrySettings, as soon as task-lib returns it.
    const settings = readRegistrySettings();

    const library = loadLibrary(locateLibrary(path.join(TASK_ROOT, 'native')));
    console.log(message('NativeLibraryLoaded', library.version, library.located.path));
    // The forms include the base64 of `username:password`, the value that
    // config.json and a Basic Authorization header carry.
    for (const form of maskForms(library, settings.password, settings.username)) {
        registerSecret(form);
    }

    if (settings.source.kind === 'connection') {
        console.log(message('RegistryFromConnection', settings.source.connection, settings.registry, settings.username));
    } else {
        console.log(message('RegistryFromInputs', settings.registry, settings.username));
    }

    const target = requestUrl(settings.registry);
    const proxy = agentProxyFor(target);
    if (proxy.kind === 'agent') {
        if (proxy.proxy.password !== undefined) {
            for (const form of maskForms(library, proxy.proxy.password, proxy.proxy.username)) {
                registerSecret(form);
            }
        }
        console.log(message('RegistryProxy', proxy.proxy.url));
    } else if (proxy.kind === 'direct') {
        console.log(message('RegistryProxyBypassed', target));
    }

    const report = registryLogin(library, { ...settings, proxy });
    reportLogin(report, settings.username);

    tl.setVariable(DOCKER_CONFIG_VARIABLE, settings.dockerConfigDir, false, false);
    tl.setVariable(DOCKER_CONFIG_VARIABLE, settings.dockerConfigDir, false, true);
    console.log(message('RegistryDockerConfig', settings.dockerConfigDir));

    tl.setResult(tl.TaskResult.Succeeded, '');
}

try {
    run();
} catch (error) {
    // TaskError and QcaError carry the message to show: the task's own or the
    // core's, which names the registry. Anything else is a bug, shown with
    // its message.
    let text: string;
    if (error instanceof QcaError && error.status === QcaStatus.TlsError) {
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
