/**
 * Loads libqualys_ci_auth with koffi and binds every function of `abi.ts`.
 *
 * The library is loaded once per process: koffi registers type names
 * globally, and the library's HTTP client and token cache are per process
 * anyway.
 */

import * as koffi from 'koffi';

import { TaskError } from '../messages';
import { OPAQUE_TYPES, OWNED_STRING_TYPE, PROTOTYPES, QcaFunctionName } from './abi';
import { LocatedLibrary, describeTarget } from './locate';

/** A function bound by koffi. */
type BoundFunction = ReturnType<koffi.IKoffiLib['func']>;

/** A koffi pointer to an opaque C object; `null` is the C NULL. */
export type Handle = unknown;

/** A one-element array that koffi fills for an `_Out_` parameter. */
export type Out<T> = [T];

/**
 * The bound functions, typed as koffi calls them: `const char *` and
 * `qca_owned_string` arrive as JS strings, pointers as opaque handles,
 * `size_t` and `uint32_t` as numbers.
 */
export interface QcaBindings {
    qca_string_free(s: Handle): void;
    qca_version(): string;

    qca_config_new(out: Out<Handle>): number;
    qca_config_set_pod(config: Handle, pod: string): number;
    qca_config_set_gateway_url(config: Handle, url: string): number;
    qca_config_set_allow_insecure_loopback(config: Handle, allow: boolean): number;
    qca_config_set_ca_pem(config: Handle, pem: Buffer, len: number): number;
    qca_config_set_platform(config: Handle, platform: string): number;
    qca_config_set_backend(config: Handle, backend: string): number;
    qca_config_set_timeouts(config: Handle, requestTimeoutMs: number, deadlineMs: number, maxAttempts: number): number;
    qca_config_set_api_token(config: Handle, token: Buffer, len: number): number;
    qca_config_set_username_password(config: Handle, username: string, password: Buffer, len: number): number;
    qca_config_set_proxy(
        config: Handle,
        url: string | null,
        username: string | null,
        password: Buffer | null,
        passwordLen: number,
        noProxy: string | null,
    ): number;
    qca_config_set_environment(config: Handle, label: string): number;
    qca_config_set_policy_file(config: Handle, tomlPath: string): number;
    qca_config_set_audit_log(config: Handle, path: string): number;
    qca_config_free(config: Handle): void;

    qca_session_new(config: Handle, out: Out<Handle>, errorOut: Out<Handle>): number;
    qca_session_login(session: Handle, summaryOut: Out<string | null>, errorOut: Out<Handle>): number;
    qca_session_bearer_token(
        session: Handle,
        buffer: Buffer,
        bufferLen: number,
        neededOut: Out<number>,
        errorOut: Out<Handle>,
    ): number;
    qca_session_verify(session: Handle, errorOut: Out<Handle>): number;
    qca_session_check(session: Handle, reportOut: Out<string | null>, errorOut: Out<Handle>): number;
    qca_session_free(session: Handle): void;

    qca_inspect_token(token: Buffer, len: number, reportOut: Out<string | null>, errorOut: Out<Handle>): number;
    qca_mask_forms(secret: Buffer, len: number, username: string | null, formsOut: Out<string | null>): number;

    qca_registry_login(
        config: Handle,
        registry: string,
        username: string,
        password: Buffer,
        passwordLen: number,
        dockerConfigDir: string | null,
        reportOut: Out<string | null>,
        errorOut: Out<Handle>,
    ): number;
    qca_registry_logout(
        config: Handle,
        registry: string,
        dockerConfigDir: string | null,
        reportOut: Out<string | null>,
        errorOut: Out<Handle>,
    ): number;

    qca_error_code(error: Handle): number;
    qca_error_message(error: Handle): string;
    qca_error_free(error: Handle): void;
}

/** The loaded library: where it came from and its bound functions. */
export interface NativeLibrary {
    located: LocatedLibrary;
    version: string;
    api: QcaBindings;
}

let loaded: NativeLibrary | undefined;

/**
 * Loads the located library and binds its functions, or throws a
 * `TaskError` that names the file, the agent's target and the cause.
 */
export function loadLibrary(located: LocatedLibrary): NativeLibrary {
    if (loaded !== undefined) {
        return loaded;
    }

    let library: koffi.IKoffiLib;
    try {
        library = koffi.load(located.path);
    } catch (error) {
        const cause = error instanceof Error ? error.message : String(error);
        throw new TaskError('NativeLoadFailed', located.path, describeTarget(located.target), cause);
    }

    for (const name of OPAQUE_TYPES) {
        koffi.opaque(name);
    }
    koffi.alias('qca_status', 'uint32_t');

    const bound: Partial<Record<QcaFunctionName, BoundFunction>> = {};
    try {
        const stringFree = library.func(PROTOTYPES.qca_string_free);
        bound.qca_string_free = stringFree;
        // koffi converts the `char *` to a JS string, then passes the original
        // pointer to this function, so every returned string is freed once.
        koffi.disposable(OWNED_STRING_TYPE, 'char *', (pointer: unknown) => stringFree(pointer));
        for (const [name, prototype] of Object.entries(PROTOTYPES) as [QcaFunctionName, string][]) {
            if (bound[name] === undefined) {
                bound[name] = library.func(prototype);
            }
        }
    } catch (error) {
        const cause = error instanceof Error ? error.message : String(error);
        throw new TaskError('NativeLoadFailed', located.path, describeTarget(located.target), cause);
    }

    const api = bound as unknown as QcaBindings;
    loaded = { located, version: api.qca_version(), api };
    return loaded;
}
