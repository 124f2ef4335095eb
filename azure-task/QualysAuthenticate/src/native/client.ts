/**
 * Calls into libqualys_ci_auth: configure, authenticate and verify, check
 * the token policy, fetch the bearer token, log in to a container registry,
 * list the forms of a secret to mask. It converts types and errors and
 * decides nothing itself.
 *
 * Secrets cross the boundary as bytes in a `Buffer` that is zeroed after
 * the call. NOTE: the JS strings that task-lib returns and that
 * `setVariable` needs cannot be zeroed; they live until garbage collection.
 */

import { TaskError } from '../messages';
import { ProxyChoice } from '../proxy';
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

/** Status of one policy check; `status` of the whole report is one of the last three. */
export type CheckStatus = 'skipped' | 'unknown' | 'pass' | 'warn' | 'fail';

/** One check of the policy report; the check-specific fields are not used here. */
export interface PolicyCheck {
    /** `rotation`, `scopes`, `expiry`, `separate-tokens` or `verification`. */
    id: string;
    status: CheckStatus;
    /** One sentence for people, without any secret. */
    message: string;
}

/** The report of `qca_session_check`, the core's `check --format json` object. */
export interface PolicyReport {
    schema_version: number;
    status: 'pass' | 'warn' | 'fail';
    environment: string | null;
    token_fingerprint: string;
    checks: PolicyCheck[];
    policy: { file: string | null; warn_after_days: number; fail_after_days: number };
}

/** The `registry login --format json` object that `qca_registry_login` returns. */
export interface RegistryLoginReport {
    schema_version: number;
    registry: string;
    config_key: string;
    repository: string | null;
    /** `logged-in`, or `skipped` with `reason`. */
    status: string;
    reason: string | null;
    username: string | null;
    credential_source: string | null;
    /** `basic`, `bearer` or `not-required`. */
    verification: string | null;
    /** `config-file` or `credential-helper`. */
    stored_in: string | null;
    config_path: string | null;
    credential_helper: string | null;
}

/** How to reach a server: trust roots, proxy and time limits. */
export interface ConnectionSettings {
    /** Extra PEM trust roots, added to the system's. */
    caPem?: Buffer;
    proxy: ProxyChoice;
    requestTimeoutMs: number;
    deadlineMs: number;
    maxAttempts: number;
}

/** Settings for one login. */
export interface LoginSettings extends ConnectionSettings {
    /** The API token as given; the library trims and checks it. */
    token: string;
    /** Exactly one of `pod` and `gatewayUrl` must be set. */
    pod?: string;
    gatewayUrl?: string;
    /** The environment label of the token policy. */
    environment?: string;
    /** The policy file (`qualys-ci-auth.toml`); without it the built-in policy applies. */
    policyFile?: string;
    /** The audit log path, or `off`. */
    auditLog: string;
}

/** The result of a successful login. */
export interface LoginResult {
    summary: LoginSummary;
    /** The bearer token to hand to later steps (the normalized API token). */
    bearerToken: string;
    /** The token policy checks, run after the login. */
    policy: PolicyReport;
}

/** Settings for one registry login. */
export interface RegistryLoginSettings extends ConnectionSettings {
    /** A registry host or URL, or an image reference. */
    registry: string;
    username: string;
    password: string;
    /** The directory of `config.json`; undefined: `$DOCKER_CONFIG`, else `~/.docker`. */
    dockerConfigDir?: string;
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

/**
 * Creates a configuration handle, applies the connection settings and then
 * `apply`. The caller frees the handle with `qca_config_free`.
 */
function buildConfig(api: QcaBindings, settings: ConnectionSettings, apply: (config: Handle) => void): Handle {
    const out: Out<Handle> = [null];
    const status = api.qca_config_new(out);
    if (status !== QcaStatus.Ok) {
        throw failure(api, 'qca_config_new', status, null);
    }
    const config = out[0];
    try {
        configure('platform', 'azure-devops', api.qca_config_set_platform(config, 'azure-devops'));
        if (settings.caPem !== undefined) {
            const pem = settings.caPem;
            configure('CA certificates', `${pem.length} bytes of PEM`, api.qca_config_set_ca_pem(config, pem, pem.length));
        }
        configure(
            'timeouts',
            `request ${settings.requestTimeoutMs} ms, deadline ${settings.deadlineMs} ms, ${settings.maxAttempts} attempts`,
            api.qca_config_set_timeouts(config, settings.requestTimeoutMs, settings.deadlineMs, settings.maxAttempts),
        );
        configureProxy(api, config, settings.proxy);
        apply(config);
        return config;
    } catch (error) {
        api.qca_config_free(config);
        throw error;
    }
}

/**
 * Passes the proxy choice to the library. Without one of the agent's, the
 * library keeps its default: `HTTPS_PROXY` and `NO_PROXY` of the environment.
 */
function configureProxy(api: QcaBindings, config: Handle, choice: ProxyChoice): void {
    switch (choice.kind) {
        case 'environment':
            return;
        case 'direct':
            configure('proxy', 'none', api.qca_config_set_proxy(config, 'none', null, null, 0, null));
            return;
        case 'agent': {
            const proxy = choice.proxy;
            // NOTE: the library takes a proxy user name and password together
            // or not at all, so an agent proxy with only one of them is used
            // without credentials.
            if (proxy.username === undefined || proxy.password === undefined) {
                configure('proxy', proxy.url, api.qca_config_set_proxy(config, proxy.url, null, null, 0, null));
                return;
            }
            const username = proxy.username;
            withSecretBytes(proxy.password, (bytes) =>
                configure('proxy', proxy.url, api.qca_config_set_proxy(config, proxy.url, username, bytes, bytes.length, null)),
            );
            return;
        }
    }
}

/** Builds the configuration of a session; the caller frees it with `qca_config_free`. */
function buildSessionConfig(api: QcaBindings, settings: LoginSettings): Handle {
    return buildConfig(api, settings, (config) => {
        configure('backend', 'qscanner', api.qca_config_set_backend(config, 'qscanner'));
        if (settings.pod !== undefined) {
            configure('POD', settings.pod, api.qca_config_set_pod(config, settings.pod));
        }
        if (settings.gatewayUrl !== undefined) {
            configure('gateway URL', settings.gatewayUrl, api.qca_config_set_gateway_url(config, settings.gatewayUrl));
        }
        if (settings.environment !== undefined) {
            configure('environment', settings.environment, api.qca_config_set_environment(config, settings.environment));
        }
        if (settings.policyFile !== undefined) {
            configure('policy file', settings.policyFile, api.qca_config_set_policy_file(config, settings.policyFile));
        }
        configure('audit log', settings.auditLog, api.qca_config_set_audit_log(config, settings.auditLog));
        withSecretBytes(settings.token, (bytes) =>
            configure('API token', '(secret)', api.qca_config_set_api_token(config, bytes, bytes.length)),
        );
    });
}

/** Parses a JSON result of the library, or fails naming the call. */
function parseResult<T>(call: string, text: string | null, valid: (value: unknown) => boolean): T {
    let parsed: unknown = null;
    try {
        parsed = JSON.parse(text ?? 'null');
    } catch {
        parsed = null;
    }
    if (!valid(parsed)) {
        throw new QcaError(QcaStatus.Internal, new TaskError('NativeCallFailed', call, 'a result of an unexpected shape').message);
    }
    return parsed as T;
}

/** Returns whether `value` has the fields of a policy report that the task reads. */
function isPolicyReport(value: unknown): boolean {
    const report = value as PolicyReport | null;
    return (
        typeof report === 'object' &&
        report !== null &&
        ['pass', 'warn', 'fail'].includes(report.status) &&
        typeof report.policy === 'object' &&
        report.policy !== null &&
        Array.isArray(report.checks) &&
        report.checks.every((check) => typeof check.id === 'string' && typeof check.status === 'string' && typeof check.message === 'string')
    );
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
 * Authenticates with the token, verifies it with one Container Security
 * call, runs the token policy checks (which verify the token once more) and
 * returns the login summary, the bearer token and the policy report. A
 * policy that warns or fails is a report, not an error. Throws `QcaError`
 * with the core's message on any failure.
 */
export function login(library: NativeLibrary, settings: LoginSettings): LoginResult {
    const api = library.api;
    const config = buildSessionConfig(api, settings);
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
        const bearerToken = readBearerToken(api, session);

        const reportOut: Out<string | null> = [null];
        const checkError: Out<Handle> = [null];
        const checked = api.qca_session_check(session, reportOut, checkError);
        if (checked !== QcaStatus.Ok) {
            throw failure(api, 'qca_session_check', checked, checkError);
        }
        const policy = parseResult<PolicyReport>('qca_session_check', reportOut[0], isPolicyReport);
        return { summary, bearerToken, policy };
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

/**
 * Verifies registry credentials with the registry's HTTP API V2 and stores
 * them in `config.json` (or the credential helper it names). Returns the
 * report; throws `QcaError` with the core's message on any failure, such as
 * `QCA_REGISTRY_REJECTED` for a wrong user name or password.
 */
export function registryLogin(library: NativeLibrary, settings: RegistryLoginSettings): RegistryLoginReport {
    const api = library.api;
    const config = buildConfig(api, settings, () => undefined);
    try {
        const reportOut: Out<string | null> = [null];
        const errorOut: Out<Handle> = [null];
        const status = withSecretBytes(settings.password, (bytes) =>
            api.qca_registry_login(
                config,
                settings.registry,
                settings.username,
                bytes,
                bytes.length,
                settings.dockerConfigDir ?? null,
                reportOut,
                errorOut,
            ),
        );
        if (status !== QcaStatus.Ok) {
            throw failure(api, 'qca_registry_login', status, errorOut);
        }
        return parseResult<RegistryLoginReport>(
            'qca_registry_login',
            reportOut[0],
            (value) => typeof value === 'object' && value !== null && typeof (value as RegistryLoginReport).status === 'string',
        );
    } finally {
        api.qca_config_free(config);
    }
}
