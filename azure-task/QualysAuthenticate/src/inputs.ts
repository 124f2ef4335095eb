/**
 * Reads the task's inputs, its Qualys Platform service connection and the
 * agent's settings through task-lib, and checks them.
 *
 * task-lib moves `INPUT_*`, `ENDPOINT_AUTH_*` and `SECRET_*` variables out of
 * `process.env` into its vault when it loads, so the native library could
 * not read them: they are read here and passed across the boundary.
 */

import * as fs from 'fs';
import * as path from 'path';

import * as tl from 'azure-pipelines-task-lib/task';

import { TaskError, message } from './messages';
import { filePathInput, present, readCaCertificates, wholeNumberInput } from './options';
import { readSecret } from './secrets';

/** Name of the service endpoint type that vss-extension.json contributes. */
export const ENDPOINT_TYPE = 'qualys-platform';

/** The authorization scheme of that endpoint type (`ms.vss-endpoint.endpoint-auth-scheme-token`). */
export const TOKEN_SCHEME = 'Token';

/** The authorization parameter that contains the API token in the Token scheme. */
export const TOKEN_PARAMETER = 'apitoken';

/** The origin of the API token, for the log. */
export type TokenSource = { kind: 'connection'; connection: string } | { kind: 'input' };

/** Everything the task needs to log in. */
export interface TaskSettings {
    token: string;
    tokenSource: TokenSource;
    pod?: string;
    gatewayUrl?: string;
    caPem?: Buffer;
    environment?: string;
    /** The token policy file, when there is one. */
    policyFile?: string;
    /** The audit log path, or `off`. */
    auditLog: string;
    /** Whether the audit log is uploaded as a build artifact. */
    publishAuditLog: boolean;
    requestTimeoutMs: number;
    deadlineMs: number;
    maxAttempts: number;
}

/** Reads the token, POD and gateway URL of the service connection `id`. */
function readConnection(id: string): { token: string; pod?: string; gatewayUrl?: string } {
    const scheme = tl.getEndpointAuthorizationScheme(id, true);
    if (scheme === undefined || scheme.length === 0) {
        throw new TaskError('ConnectionNotFound', id);
    }
    if (scheme.toLowerCase() !== TOKEN_SCHEME.toLowerCase()) {
        throw new TaskError('SchemeNotAllowed', id, scheme, message('CredentialRule'));
    }
    const token = readSecret(() => tl.getEndpointAuthorizationParameter(id, TOKEN_PARAMETER, true));
    if (token === undefined || token.trim().length === 0) {
        throw new TaskError('ConnectionTokenMissing', id, TOKEN_PARAMETER);
    }
    return {
        token,
        pod: present(tl.getEndpointDataParameter(id, 'pod', true)),
        gatewayUrl: present(tl.getEndpointDataParameter(id, 'gatewayUrl', true)),
    };
}

/** Name of the policy file that the task looks for in the repository root. */
export const POLICY_FILE_NAME = 'qualys-ci-auth.toml';

/** The value of the `auditLog` input that switches the audit log off. */
export const AUDIT_LOG_OFF = 'off';

/**
 * Returns the policy file: the `policyFile` input, which must exist, or
 * `qualys-ci-auth.toml` in the repository root (`Build.SourcesDirectory`)
 * when it exists, or undefined for the built-in policy.
 */
function readPolicyFile(): string | undefined {
    const input = filePathInput('policyFile');
    if (input !== undefined) {
        if (!fs.existsSync(input)) {
            throw new TaskError('PolicyFileMissing', input, POLICY_FILE_NAME);
        }
        return input;
    }
    const sources = present(tl.getVariable('Build.SourcesDirectory'));
    if (sources === undefined) {
        return undefined;
    }
    const inRepository = path.join(sources, POLICY_FILE_NAME);
    return fs.existsSync(inRepository) ? inRepository : undefined;
}

/**
 * Returns the audit log path, or `off`. A relative path is taken from the
 * default working directory. The default is a file per job under
 * `Agent.TempDirectory`, which the agent empties after each job: the
 * `publishAuditLog` input keeps it as a build artifact. Its name carries the
 * job's id because the artifact's container folder is shared by every job
 * of the run.
 */
function readAuditLog(): string {
    const input = present(tl.getInput('auditLog', false));
    if (input !== undefined) {
        if (input.toLowerCase() === AUDIT_LOG_OFF) {
            return AUDIT_LOG_OFF;
        }
        // A relative path means the same as in the pipeline's script steps.
        const base = present(tl.getVariable('System.DefaultWorkingDirectory')) ?? process.cwd();
        return path.resolve(base, input);
    }
    const temp = present(tl.getVariable('Agent.TempDirectory'));
    if (temp === undefined) {
        throw new TaskError('AuditLogNoDefault');
    }
    const job = (present(tl.getVariable('System.JobId')) ?? 'job').replace(/[^A-Za-z0-9._-]/g, '_');
    const directory = path.join(temp, 'qualys-ci-auth');
    fs.mkdirSync(directory, { recursive: true });
    return path.join(directory, `audit-${job}.jsonl`);
}

/** Reads and checks every input; throws `TaskError` on the first problem. */
export function readSettings(): TaskSettings {
    const connection = present(tl.getInput('qualysConnection', false));
    const inputToken = readSecret(() => tl.getInput('accessToken', false));
    const hasInputToken = inputToken !== undefined && inputToken.trim().length > 0;

    if (connection !== undefined && hasInputToken) {
        throw new TaskError('BothCredentials');
    }
    let token: string;
    let tokenSource: TokenSource;
    let pod: string | undefined;
    let gatewayUrl: string | undefined;
    if (connection !== undefined) {
        const endpoint = readConnection(connection);
        token = endpoint.token;
        tokenSource = { kind: 'connection', connection };
        pod = endpoint.pod;
        gatewayUrl = endpoint.gatewayUrl;
    } else if (hasInputToken) {
        // An undefined variable reaches the task as its unexpanded macro text.
        const macro = /^\$\(([^)]*)\)$/.exec(inputToken.trim());
        if (macro !== null) {
            throw new TaskError('AccessTokenUnexpanded', inputToken.trim(), macro[1]);
        }
        token = inputToken;
        tokenSource = { kind: 'input' };
    } else {
        throw new TaskError('NoCredential');
    }

    // The task's pod and gatewayUrl inputs replace the connection's pair.
    const podInput = present(tl.getInput('pod', false));
    const gatewayUrlInput = present(tl.getInput('gatewayUrl', false));
    if (podInput !== undefined || gatewayUrlInput !== undefined) {
        pod = podInput;
        gatewayUrl = gatewayUrlInput;
    }
    if (pod === undefined && gatewayUrl === undefined) {
        throw new TaskError('NoPlatform');
    }
    if (pod !== undefined && gatewayUrl !== undefined) {
        throw new TaskError('BothPlatforms', pod, gatewayUrl);
    }

    return {
        token,
        tokenSource,
        pod,
        gatewayUrl,
        caPem: readCaCertificates(),
        environment: present(tl.getInput('environment', false)),
        policyFile: readPolicyFile(),
        auditLog: readAuditLog(),
        publishAuditLog: tl.getBoolInput('publishAuditLog', false),
        requestTimeoutMs: wholeNumberInput('requestTimeoutSeconds', 30, 1, 3600) * 1000,
        deadlineMs: wholeNumberInput('deadlineSeconds', 120, 1, 86400) * 1000,
        maxAttempts: wholeNumberInput('maxAttempts', 5, 1, 100),
    };
}
