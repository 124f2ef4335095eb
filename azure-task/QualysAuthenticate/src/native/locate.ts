/**
 * Finds the native library shipped inside the task folder for the agent's
 * operating system, CPU architecture and C library.
 *
 * Layout: `native/<target>/<file>`, where `<target>` is `linux-x64`,
 * `linux-arm64`, `linux-musl-x64`, `darwin-arm64`, `win32-x64` and so on,
 * and `<file>` is `libqualys_ci_auth.so`, `libqualys_ci_auth.dylib` or
 * `qualys_ci_auth.dll`. A target directory may hold `library.json` with the
 * oldest glibc the library needs, written by the build script.
 */

import * as fs from 'fs';
import * as path from 'path';

import { MessageKey, TaskError } from '../messages';

/** The C library of a Linux agent; other systems have one C library. */
export type Libc = 'glibc' | 'musl' | 'unknown';

/** The agent's platform, as far as the choice of native library depends on it. */
export interface NativeTarget {
    /** `process.platform`: linux, darwin, win32, ... */
    os: string;
    /** `process.arch`: x64, arm64, ... */
    arch: string;
    /** Linux only; `null` elsewhere. */
    libc: Libc | null;
    /** The running glibc's version, such as `2.36`, when libc is glibc. */
    glibcVersion: string | null;
}

/** Metadata the build script writes next to a library. */
export interface LibraryInfo {
    /** Oldest glibc the library links against, such as `2.34`. */
    minGlibc?: string;
}

/** The library found for a target. */
export interface LocatedLibrary {
    path: string;
    target: NativeTarget;
    targetName: string;
    info: LibraryInfo;
}

/** The failure to find a usable library. Its message names the path looked for. */
export class NativeLibraryNotFoundError extends TaskError {
    constructor(
        key: MessageKey,
        readonly lookedFor: string,
        readonly shipped: string[],
        ...args: unknown[]
    ) {
        super(key, ...args);
        this.name = 'NativeLibraryNotFoundError';
    }
}

/** The glibc version recorded in Node's diagnostic report header, if any. */
function runtimeGlibcVersion(): string | null {
    // `header.glibcVersionRuntime` is set only by a glibc build of Node on
    // Linux (Node.js "Diagnostic report" documentation, Node 12 and later).
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    const version = report?.header?.glibcVersionRuntime;
    return typeof version === 'string' && version.length > 0 ? version : null;
}

/** Returns true when a musl dynamic loader exists, the mark of Alpine and other musl systems. */
function hasMuslLoader(): boolean {
    for (const directory of ['/lib', '/usr/lib']) {
        try {
            if (fs.readdirSync(directory).some((name) => name.startsWith('ld-musl-'))) {
                return true;
            }
        } catch {
            // A missing directory means no loader there.
        }
    }
    return false;
}

/** Detects the running agent's target. */
export function detectTarget(): NativeTarget {
    if (process.platform !== 'linux') {
        return { os: process.platform, arch: process.arch, libc: null, glibcVersion: null };
    }
    const glibcVersion = runtimeGlibcVersion();
    let libc: Libc = 'unknown';
    if (glibcVersion !== null) {
        libc = 'glibc';
    } else if (hasMuslLoader()) {
        libc = 'musl';
    }
    return { os: 'linux', arch: process.arch, libc, glibcVersion };
}

/** Returns the directory name under `native/` for a target. */
export function targetName(target: NativeTarget): string {
    if (target.os === 'linux' && target.libc === 'musl') {
        return `linux-musl-${target.arch}`;
    }
    return `${target.os}-${target.arch}`;
}

/** Returns the library's file name on a target's operating system. */
export function libraryFileName(os: string): string {
    switch (os) {
        case 'win32':
            return 'qualys_ci_auth.dll';
        case 'darwin':
            return 'libqualys_ci_auth.dylib';
        default:
            return 'libqualys_ci_auth.so';
    }
}

/** Describes a target for people: `linux-x64 with glibc 2.36`. */
export function describeTarget(target: NativeTarget): string {
    const name = targetName(target);
    if (target.libc === 'glibc') {
        return `${name} with glibc ${target.glibcVersion ?? 'of unknown version'}`;
    }
    if (target.libc === 'musl') {
        return `${name} with musl libc`;
    }
    if (target.libc === 'unknown') {
        return `${name} with an unrecognized C library (neither glibc nor musl was detected)`;
    }
    return name;
}

/** Lists the target directories under `nativeRoot` that hold a library. */
export function shippedTargets(nativeRoot: string): string[] {
    let entries: string[];
    try {
        entries = fs.readdirSync(nativeRoot);
    } catch {
        return [];
    }
    return entries
        .filter((entry) => {
            const os = entry.split('-')[0] ?? '';
            return fs.existsSync(path.join(nativeRoot, entry, libraryFileName(os)));
        })
        .sort();
}

/** Compares dotted version strings numerically: negative when a < b. */
export function compareVersions(a: string, b: string): number {
    const left = a.split('.').map((part) => Number.parseInt(part, 10) || 0);
    const right = b.split('.').map((part) => Number.parseInt(part, 10) || 0);
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
        const difference = (left[i] ?? 0) - (right[i] ?? 0);
        if (difference !== 0) {
            return difference;
        }
    }
    return 0;
}

function readLibraryInfo(directory: string): LibraryInfo {
    const file = path.join(directory, 'library.json');
    if (!fs.existsSync(file)) {
        return {};
    }
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) {
        return {};
    }
    const minGlibc = (parsed as { minGlibc?: unknown }).minGlibc;
    return typeof minGlibc === 'string' ? { minGlibc } : {};
}

/**
 * Returns the library for `target` under `nativeRoot`, or throws
 * `NativeLibraryNotFoundError` naming the path looked for, the detected
 * target and the targets that are shipped.
 */
export function locateLibrary(nativeRoot: string, target: NativeTarget = detectTarget()): LocatedLibrary {
    const name = targetName(target);
    const directory = path.join(nativeRoot, name);
    const file = path.join(directory, libraryFileName(target.os));
    const shipped = shippedTargets(nativeRoot);
    const shippedText = shipped.length > 0 ? shipped.join(', ') : 'none';

    if (target.os === 'linux' && target.libc === 'unknown') {
        throw new NativeLibraryNotFoundError('NativeUnknownLibc', file, shipped, describeTarget(target), file, shippedText);
    }
    if (!fs.existsSync(file)) {
        throw new NativeLibraryNotFoundError('NativeNotShipped', file, shipped, describeTarget(target), file, shippedText);
    }

    const info = readLibraryInfo(directory);
    if (
        target.libc === 'glibc' &&
        target.glibcVersion !== null &&
        info.minGlibc !== undefined &&
        compareVersions(target.glibcVersion, info.minGlibc) < 0
    ) {
        throw new NativeLibraryNotFoundError(
            'NativeNeedsNewerGlibc',
            file,
            shipped,
            file,
            info.minGlibc,
            describeTarget(target),
        );
    }
    return { path: file, target, targetName: name, info };
}
