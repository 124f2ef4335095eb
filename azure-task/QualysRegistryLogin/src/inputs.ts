/**
 * Reads the QualysRegistryLogin task's inputs and its Docker Registry
 * service connection through task-lib, and checks them.
 *
 * The connection's authorization parameters are the ones Azure DevOps
 * defines for the `dockerregistry` endpoint type: `registry`, `username`,
 * `password` and `email` under the `UsernamePassword` scheme (registry type
 * Others), and `loginServer`, `serviceprincipalid` and `serviceprincipalkey`
 * for an Azure Container Registry connection with a service principal
 * (endpoint data `registrytype` = `ACR`). Microsoft's Docker tasks read the
 * same names.
 */

import * as fs from 'fs';
import * as path from 'path';

import * as tl from 'azure-pipelines-task-lib/task';

import { TaskError } from '../../QualysAuthenticate/src/messages';
import { present, readCaCertificates, wholeNumberInput } from '../../QualysAuthenticate/src/options';
import { readSecret } from '../../QualysAuthenticate/src/secrets';

/** The input that names the service connection. */
export const CONNECTION_INPUT = 'dockerRegistryServiceConnection';

/** The origin of the credentials, for the log. */
export type CredentialSource = { kind: 'connection'; connection: string } | { kind: 'inputs' };

/** Everything the task needs to log in. */
export interface RegistryTaskSettings {
    registry: string;
    username: string;
    password: string;
    source: CredentialSource;
    /** The directory of `config.json`, created with mode 0700 when missing. */
    dockerConfigDir: string;
    caPem?: Buffer;
    requestTimeoutMs: number;
    deadlineMs: number;
    maxAttempts: number;
}

/** Reads one authorization parameter of the connection, or fails naming it. */
function connectionParameter(id: string, key: string, description: string, secret: boolean): string {
    const read = (): string | undefined => tl.getEndpointAuthorizationParameter(id, key, true);
    const value = secret ? readSecret(read) : read();
    if (value === undefined || value.trim().length === 0) {
        throw new TaskError('RegistryConnectionParameterMissing', id, key, description);
    }
    return secret ? value : value.trim();
}

/** Reads the registry and credentials of the Docker Registry connection `id`. */
function readConnection(id: string): { registry: string; username: string; password: string } {
    const scheme = tl.getEndpointAuthorizationScheme(id, true);
    if (scheme === undefined || scheme.length === 0) {
        throw new TaskError('RegistryConnectionNotFound', id);
    }
    const registryType = present(tl.getEndpointDataParameter(id, 'registrytype', true));
    if (registryType?.toUpperCase() === 'ACR' && scheme.toLowerCase() === 'serviceprincipal') {
        // Azure Container Registry accepts a service principal's ID and key
        // as user name and password.
        return {
            registry: connectionParameter(id, 'loginServer', 'login server', false),
            username: connectionParameter(id, 'serviceprincipalid', 'service principal ID', false),
            password: connectionParameter(id, 'serviceprincipalkey', 'service principal key', true),
        };
    }
    if (scheme.toLowerCase() !== 'usernamepassword') {
        throw new TaskError('RegistrySchemeNotSupported', id, scheme);
    }
    return {
        registry: connectionParameter(id, 'registry', 'Docker Registry URL', false),
        username: connectionParameter(id, 'username', 'Docker ID', false),
        password: connectionParameter(id, 'password', 'password', true),
    };
}

/** Reads the registry, username and password inputs. */
function readCredentialInputs(): { registry: string; username: string; password: string } {
    const registry = present(tl.getInput('registry', false));
    const username = present(tl.getInput('username', false));
    const password = readSecret(() => tl.getInput('password', false));
    const missing = [
        registry === undefined ? 'registry' : undefined,
        username === undefined ? 'username' : undefined,
        password === undefined || password.length === 0 ? 'password' : undefined,
    ].filter((name): name is string => name !== undefined);
    if (registry === undefined || username === undefined || password === undefined || missing.length > 0) {
        throw new TaskError('RegistryInputsMissing', missing.join(', '));
    }
    // An undefined variable reaches the task as its unexpanded macro text.
    const macro = /^\$\(([^)]*)\)$/.exec(password.trim());
    if (macro !== null) {
        throw new TaskError('RegistryPasswordUnexpanded', password.trim(), macro[1]);
    }
    return { registry, username, password };
}

/**
 * Returns the directory for `config.json`: the `dockerConfigDir` input,
 * else `DOCKER_CONFIG` when an earlier step set it (Microsoft's Docker task
 * does), else a directory under `Agent.TempDirectory`. The agent deletes
 * that directory after the job, so the credentials do not outlive the job
 * on a self-hosted agent.
 */
function readDockerConfigDir(): string {
    const chosen =
        present(tl.getInput('dockerConfigDir', false)) ??
        present(tl.getVariable('DOCKER_CONFIG')) ??
        path.join(present(tl.getVariable('Agent.TempDirectory')) ?? process.cwd(), 'qualys-ci-auth', 'docker');
    const base = present(tl.getVariable('System.DefaultWorkingDirectory')) ?? process.cwd();
    const directory = path.resolve(base, chosen);
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    return directory;
}

/** Reads and checks every input; throws `TaskError` on the first problem. */
export function readRegistrySettings(): RegistryTaskSettings {
    const connection = present(tl.getInput(CONNECTION_INPUT, false));
    let credentials: { registry: string; username: string; password: string };
    let source: CredentialSource;
    if (connection !== undefined) {
        for (const name of ['registry', 'username', 'password']) {
            if (present(name === 'password' ? readSecret(() => tl.getInput(name, false)) : tl.getInput(name, false)) !== undefined) {
                throw new TaskError('RegistryBothSources', name);
            }
        }
        credentials = readConnection(connection);
        source = { kind: 'connection', connection };
    } else {
        credentials = readCredentialInputs();
        source = { kind: 'inputs' };
    }
    return {
        ...credentials,
        source,
        dockerConfigDir: readDockerConfigDir(),
        caPem: readCaCertificates(),
        requestTimeoutMs: wholeNumberInput('requestTimeoutSeconds', 30, 1, 3600) * 1000,
        deadlineMs: wholeNumberInput('deadlineSeconds', 120, 1, 86400) * 1000,
        maxAttempts: wholeNumberInput('maxAttempts', 5, 1, 100),
    };
}
