/**
 * Keeps secrets out of the job log: registers them with the agent's masker
 * before anything can print them, and reads secret inputs without task-lib's
 * debug echo.
 */

import { Writable } from 'stream';

import * as tl from 'azure-pipelines-task-lib/task';

const registered = new Set<string>();

/**
 * Registers `value` with `##vso[task.setsecret]`. The agent rejects
 * multi-line secrets, so a value with line breaks is registered line by line.
 */
export function registerSecret(value: string): void {
    for (const line of value.split(/\r\n|\r|\n/)) {
        if (line.length === 0 || registered.has(line)) {
            continue;
        }
        registered.add(line);
        tl.setSecret(line);
    }
}

/** A stream that drops what task-lib writes while a secret is read. */
const discard = new Writable({
    write(_chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
        callback();
    },
});

/** Runs `action` while task-lib's output stream is silenced, and returns its result. */
export function silenced<T>(action: () => T): T {
    tl.setStdStream(discard);
    try {
        return action();
    } finally {
        tl.setStdStream(process.stdout);
    }
}

/**
 * Runs `read` with task-lib's output stream silenced, registers the value it
 * returns as a secret, and returns it.
 *
 * task-lib 5 writes every value that `getInput` and
 * `getEndpointAuthorizationParameter` return into a `##vso[task.debug]` line.
 * The agent masks the values registered as secrets, but a token typed into
 * the input in plain text is not one of them.
 */
export function readSecret(read: () => string | undefined): string | undefined {
    const value = silenced(read);
    if (value !== undefined && value.length > 0) {
        registerSecret(value);
    }
    return value;
}
