/**
 * Unit tests of the native library lookup: target names, the messages for
 * a target that is not shipped, and the glibc baseline check.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {
    NativeLibraryNotFoundError,
    compareVersions,
    detectTarget,
    locateLibrary,
    targetName,
} from '../QualysAuthenticate/dist/native/locate';
import { loadMessages } from '../QualysAuthenticate/dist/messages';
import { TASK_DIR } from './paths';

describe('native library lookup', function () {
    let nativeRoot: string;

    before(function () {
        loadMessages(path.join(TASK_DIR, 'task.json'));
    });

    beforeEach(function () {
        nativeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'qualys-native-'));
    });

    afterEach(function () {
        fs.rmSync(nativeRoot, { recursive: true, force: true });
    });

    function ship(target: string, file: string, info?: object): string {
        const directory = path.join(nativeRoot, target);
        fs.mkdirSync(directory, { recursive: true });
        fs.writeFileSync(path.join(directory, file), 'not a real library');
        if (info !== undefined) {
            fs.writeFileSync(path.join(directory, 'library.json'), JSON.stringify(info));
        }
        return path.join(directory, file);
    }

    it('names targets by OS, libc and arch', function () {
        assert.strictEqual(targetName({ os: 'linux', arch: 'x64', libc: 'glibc', glibcVersion: '2.36' }), 'linux-x64');
        assert.strictEqual(targetName({ os: 'linux', arch: 'arm64', libc: 'musl', glibcVersion: null }), 'linux-musl-arm64');
        assert.strictEqual(targetName({ os: 'win32', arch: 'x64', libc: null, glibcVersion: null }), 'win32-x64');
    });

    it('detects this agent', function () {
        const target = detectTarget();
        assert.strictEqual(target.os, process.platform);
        assert.strictEqual(target.arch, process.arch);
        if (process.platform === 'linux') {
            assert.notStrictEqual(target.libc, null);
        }
    });

    it('finds a shipped library', function () {
        const file = ship('linux-x64', 'libqualys_ci_auth.so', { minGlibc: '2.17' });
        const located = locateLibrary(nativeRoot, { os: 'linux', arch: 'x64', libc: 'glibc', glibcVersion: '2.31' });
        assert.strictEqual(located.path, file);
        assert.strictEqual(located.info.minGlibc, '2.17');
    });

    it('names what musl agents lack', function () {
        ship('linux-x64', 'libqualys_ci_auth.so');
        assert.throws(
            () => locateLibrary(nativeRoot, { os: 'linux', arch: 'x64', libc: 'musl', glibcVersion: null }),
            (error: unknown) => {
                assert.ok(error instanceof NativeLibraryNotFoundError);
                const expected = path.join(nativeRoot, 'linux-musl-x64', 'libqualys_ci_auth.so');
                assert.strictEqual(error.lookedFor, expected);
                assert.ok(error.message.includes('linux-musl-x64 with musl libc'), error.message);
                assert.ok(error.message.includes(expected), error.message);
                assert.ok(error.message.includes('Shipped targets: linux-x64'), error.message);
                return true;
            },
        );
    });

    it('names what Windows agents lack', function () {
        assert.throws(
            () => locateLibrary(nativeRoot, { os: 'win32', arch: 'arm64', libc: null, glibcVersion: null }),
            /ships no native library for win32-arm64: it looked for .*qualys_ci_auth\.dll\. Shipped targets: none/,
        );
    });

    it('rejects a glibc older than the build', function () {
        ship('linux-x64', 'libqualys_ci_auth.so', { minGlibc: '2.34' });
        assert.throws(
            () => locateLibrary(nativeRoot, { os: 'linux', arch: 'x64', libc: 'glibc', glibcVersion: '2.31' }),
            /needs glibc 2\.34 or newer, but this agent runs linux-x64 with glibc 2\.31/,
        );
    });

    it('rejects an unrecognized libc', function () {
        ship('linux-x64', 'libqualys_ci_auth.so');
        assert.throws(
            () => locateLibrary(nativeRoot, { os: 'linux', arch: 'x64', libc: 'unknown', glibcVersion: null }),
            /No native library can be chosen for linux-x64 with an unrecognized C library/,
        );
    });

    it('compares versions numerically', function () {
        assert.ok(compareVersions('2.9', '2.17') < 0);
        assert.ok(compareVersions('2.17', '2.17') === 0);
        assert.ok(compareVersions('2.35', '2.4') > 0);
    });
});
