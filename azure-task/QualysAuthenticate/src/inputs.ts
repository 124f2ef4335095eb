/**
 * Reads the task's inputs, its Qualys Platform service connection and the
 * agent's settings through task-lib, and checks them.
 *
 * task-lib moves `INPUT_*`, `ENDPOINT_AUTH_*` and `SECRET_*` variables out of
 * `process.env` into its vault when it loads, so the native library could
 * not read them: they are read here and passed across the boundary.
 */

import * as fs from 'fs';

import * as tl from 'azure-pipelines-task-lib/task';

import { TaskError, message } from './messages';
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
    requestTimeoutMs: number;
    deadlineMs: number;
    maxAttempts: number;
}

/** Returns the trimmed value, or undefined for a missing or blank one. */
function present(value: string | undefined): string | undefined {
    const trimmed = value?.trim();
    return trimmed === undefined || trimmed.length === 0 ? undefined : trimmed;
}

/** Reads a whole-number input within bounds, or its default. */
function wholeNumberInput(name: string, fallback: number, min: number, max: number): number {
    const raw = present(tl.getInput(name, false));
    if (raw === undefined) {
        return fallback;
    }
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
        throw new TaskError('InvalidWholeNumber', name, min, max, raw);
    }
    return Number(raw);
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

/** Reads a PEM file for one of the CA settings. */
function readCaFile(file: string, origin: string): Buffer {
    try {
        return fs.readFileSync(file);
    } catch (error) {
        const cause = error instanceof Error ? error.message : String(error);
        throw new TaskError('CaFileUnreadable', file, origin, cause);
    }
}

/**
 * Collects the extra trust roots: the `caCertFile` input and the agent's
 * own CA bundle (`Agent.CAInfo`, set when the agent was configured with
 * `--sslcacert`), concatenated when both are set.
 */
function readCaCertificates(): Buffer | undefined {
    const parts: Buffer[] = [];
    const inputFile = present(tl.getInput('caCertFile', false));
    // A filePath input that was left empty arrives as the sources directory.
    if (inputFile !== undefined && fs.existsSync(inputFile) && fs.statSync(inputFile).isDirectory()) {
        tl.debug('caCertFile points to a directory; it is treated as unset');
    } else if (inputFile !== undefined) {
        parts.push(readCaFile(inputFile, 'the caCertFile input'));
    }
    const agentFile = present(tl.getHttpCertConfiguration()?.caFile);
    if (agentFile !== undefined) {
        console.log(message('AgentCaFile', agentFile));
        parts.push(readCaFile(agentFile, 'the agent setting Agent.CAInfo'));
    }
    if (parts.length === 0) {
        return undefined;
    }
    return Buffer.concat(parts.flatMap((part) => [part, Buffer.from('\n')]));
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
        requestTimeoutMs: wholeNumberInput('requestTimeoutSeconds', 30, 1, 3600) * 1000,
        deadlineMs: wholeNumberInput('deadlineSeconds', 120, 1, 86400) * 1000,
        maxAttempts: wholeNumberInput('maxAttempts', 5, 1, 100),
    };
}
