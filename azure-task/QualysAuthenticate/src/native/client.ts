/**
 * Calls into libqualys_ci_auth: configure, authenticate and verify, fetch
 * the bearer token, list the forms of a secret to mask. It converts types
 * and errors and decides nothing itself.
 *
 * Secrets cross the boundary as bytes in a `Buffer` that is zeroed after
 * the call. NOTE: the JS strings that task-lib returns and that
 * `setVariable` needs cannot be zeroed; they live until garbage collection.
 */

import { TaskError } from '../messages';
import { QcaStatus } from './abi';
import { Handle, NativeLibrary, Out, QcaBindings } from './library';

/** A failure reported by the library, with the core's message. */
export class QcaError extends Error {
    constructor(
        readonly status: QcaStatus,
        message: string,
    ) {
        super(message);
        this.name = 'QcaError';
    }
}

/** The `login --format json` object that `qca_session_login` returns. */
export interface LoginSummary {
    schema_version: number;
    gateway: string;
    pod: string | null;
    backend: string;
    platform: string;
    credential: string;
    user: string | null;
    token_kind: string;
    token_fingerprint: string;
    issued_at: string | null;
    expires_at: string | null;
    expires_in_seconds: number | null;
    scopes: string[] | null;
    verified: boolean;
}

/** Connection settings for one login. */
export interface LoginSettings {
    /** The API token as given; the library trims and checks it. */
    token: string;
    /** Exactly one of `pod` and `gatewayUrl` must be set. */
    pod?: string;
    gatewayUrl?: string;
    /** Extra PEM trust roots, added to the system's. */
    caPem?: Buffer;
    requestTimeoutMs: number;
    deadlineMs: number;
    maxAttempts: number;
}

/** The result of a successful login. */
export interface LoginResult {
    summary: LoginSummary;
    /** The bearer token to hand to later steps (the normalized API token). */
    bearerToken: string;
}

/** Returns the header's name of a status value, such as `QCA_TOKEN_REJECTED`. */
export function statusName(status: number): string {
    const name = QcaStatus[status];
    if (name === undefined) {
        return `unknown status ${status}`;
    }
    return 'QCA_' + name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Copies a secret into a fresh buffer for one call and zeroes it afterwards. */
function withSecretBytes<T>(secret: string, use: (bytes: Buffer) => T): T {
    const bytes = Buffer.from(secret, 'utf8');
    try {
        return use(bytes);
    } finally {
        bytes.fill(0);
    }
}

/**
 * Turns a failed call into a `QcaError`: the message of the error object
 * when the library made one (the object is freed here), otherwise a message
 * naming the call and its status.
 */
function failure(api: QcaBindings, call: string, status: number, errorOut: Out<Handle> | null): QcaError {
    const error = errorOut?.[0] ?? null;
    if (error === null) {
        return new QcaError(status, new TaskError('NativeCallFailed', call, statusName(status)).message);
    }
    try {
        const code = api.qca_error_code(error);
        const text = api.qca_error_message(error);
        return new QcaError(code, text);
    } finally {
        api.qca_error_free(error);
    }
}

/** Applies one configuration setter; a rejection names the setting and value. */
function configure(setting: string, shownValue: string, status: number): void {
    if (status !== QcaStatus.Ok) {
        throw new QcaError(status, new TaskError('NativeSettingRejected', setting, shownValue, statusName(status)).message);
    }
}

/** Builds a configuration handle; the caller frees it with `qca_config_free`. */
function buildConfig(api: QcaBindings, settings: LoginSettings): Handle {
    const out: Out<Handle> = [null];
    const status = api.qca_config_new(out);
    if (status !== QcaStatus.Ok) {
        throw failure(api, 'qca_config_new', status, null);
    }
    const config = out[0];
    try {
        configure('platform', 'azure-devops', api.qca_config_set_platform(config, 'azure-devops'));
        configure('backend', 'qscanner', api.qca_config_set_backend(config, 'qscanner'));
        if (settings.pod !== undefined) {
            configure('POD', settings.pod, api.qca_config_set_pod(config, settings.pod));
        }
        if (settings.gatewayUrl !== undefined) {
            configure('gateway URL', settings.gatewayUrl, api.qca_config_set_gateway_url(config, settings.gatewayUrl));
        }
        if (settings.caPem !== undefined) {
            const pem = settings.caPem;
            configure('CA certificates', `${pem.length} bytes of PEM`, api.qca_config_set_ca_pem(config, pem, pem.length));
        }
        configure(
            'timeouts',
            `request ${settings.requestTimeoutMs} ms, deadline ${settings.deadlineMs} ms, ${settings.maxAttempts} attempts`,
            api.qca_config_set_timeouts(config, settings.requestTimeoutMs, settings.deadlineMs, settings.maxAttempts),
        );
        withSecretBytes(settings.token, (bytes) =>
            configure('API token', '(secret)', api.qca_config_set_api_token(config, bytes, bytes.length)),
        );
        return config;
    } catch (error) {
        api.qca_config_free(config);
        throw error;
    }
}

/** Reads the session's bearer token, growing the buffer once if needed. */
function readBearerToken(api: QcaBindings, session: Handle): string {
    let size = 4096;
    for (let attempt = 0; attempt < 2; attempt++) {
        const buffer = Buffer.alloc(size);
        const needed: Out<number> = [0];
        const errorOut: Out<Handle> = [null];
        try {
            const status = api.qca_session_bearer_token(session, buffer, buffer.length, needed, errorOut);
            if (status === QcaStatus.Ok) {
                const end = buffer.indexOf(0);
                return buffer.toString('utf8', 0, end < 0 ? buffer.length : end);
            }
            if (status !== QcaStatus.BufferTooSmall || needed[0] <= size) {
                throw failure(api, 'qca_session_bearer_token', status, errorOut);
            }
            if (errorOut[0] !== null) {
                api.qca_error_free(errorOut[0]);
            }
            size = needed[0];
        } finally {
            buffer.fill(0);
        }
    }
    throw new QcaError(QcaStatus.BufferTooSmall, new TaskError('NativeCallFailed', 'qca_session_bearer_token', statusName(QcaStatus.BufferTooSmall)).message);
}

/**
 * Authenticates with the token, verifies it with one Container Security call
 * and returns the login summary and the bearer token. Throws `QcaError` with
 * the core's message on any failure.
 */
export function login(library: NativeLibrary, settings: LoginSettings): LoginResult {
    const api = library.api;
    const config = buildConfig(api, settings);
    let session: Handle = null;
    try {
        const sessionOut: Out<Handle> = [null];
        const sessionError: Out<Handle> = [null];
        const created = api.qca_session_new(config, sessionOut, sessionError);
        if (created !== QcaStatus.Ok) {
            throw failure(api, 'qca_session_new', created, sessionError);
        }
        session = sessionOut[0];

        const summaryOut: Out<string | null> = [null];
        const loginError: Out<Handle> = [null];
        const loggedIn = api.qca_session_login(session, summaryOut, loginError);
        if (loggedIn !== QcaStatus.Ok) {
            throw failure(api, 'qca_session_login', loggedIn, loginError);
        }
        const summary = JSON.parse(summaryOut[0] ?? 'null') as LoginSummary;
        if (summary === null || summary.verified !== true) {
            throw new TaskError('LoginNotVerified');
        }
        return { summary, bearerToken: readBearerToken(api, session) };
    } finally {
        if (session !== null) {
            api.qca_session_free(session);
        }
        api.qca_config_free(config);
    }
}

/**
 * Returns the forms of `secret` that a log masker must know (raw, base64,
 * URL-encoded, JSON-escaped, each line, and with `username` the base64 of
 * `username:secret`), computed by the library.
 */
export function maskForms(library: NativeLibrary, secret: string, username?: string): string[] {
    const api = library.api;
    const out: Out<string | null> = [null];
    const status = withSecretBytes(secret, (bytes) => api.qca_mask_forms(bytes, bytes.length, username ?? null, out));
    if (status !== QcaStatus.Ok) {
        throw failure(api, 'qca_mask_forms', status, null);
    }
    const parsed: unknown = JSON.parse(out[0] ?? 'null');
    if (!Array.isArray(parsed) || !parsed.every((form) => typeof form === 'string')) {
        throw new QcaError(QcaStatus.Internal, new TaskError('NativeCallFailed', 'qca_mask_forms', 'a result that is not a JSON array of strings').message);
    }
    return parsed as string[];
}
