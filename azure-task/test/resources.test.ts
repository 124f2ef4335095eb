/**
 * Checks the files that restate facts kept elsewhere: each task's string
 * resources and message keys against its task.json (and the messages both
 * tasks define against each other), the credential rule against the core,
 * the POD lists of the task and the service connection against the core's
 * POD table, and the manifest's task contributions against the task folders.
 */

import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { MESSAGE_KEYS, REGISTRY_MESSAGE_KEYS } from '../QualysAuthenticate/dist/messages';
import { AZURE_TASK_DIR, CLI_BIN, REGISTRY_TASK_DIR, REPO_ROOT, TASK_DIR } from './paths';

interface TaskJson {
    id: string;
    name: string;
    inputs: { name: string; type: string; options?: Record<string, string> }[];
    messages: Record<string, string>;
    execution: Record<string, { target: string }>;
}

interface EndpointInput {
    id: string;
    isConfidential?: boolean;
    values?: { possibleValues: { value: string }[] };
}

interface Contribution {
    id: string;
    type: string;
    properties: {
        name: string;
        inputDescriptors?: EndpointInput[];
        authenticationSchemes?: { type: string; inputDescriptors: EndpointInput[] }[];
    };
}

const { locFileTexts } = require(path.join(AZURE_TASK_DIR, 'tools', 'generate-loc.js')) as {
    locFileTexts: () => { file: string; text: string }[];
};

function readJson<T>(file: string): T {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Returns the TypeScript files under `directory`, recursively. */
function sourceFiles(directory: string): string[] {
    return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
        const file = path.join(directory, entry.name);
        return entry.isDirectory() ? sourceFiles(file) : entry.name.endsWith('.ts') ? [file] : [];
    });
}

/** Returns the TypeScript files that `entry` imports, itself included, following relative imports. */
function importedSources(entry: string): string[] {
    const seen = new Set<string>();
    const pending = [entry];
    while (pending.length > 0) {
        const file = pending.pop()!;
        if (seen.has(file)) {
            continue;
        }
        seen.add(file);
        const text = fs.readFileSync(file, 'utf8');
        for (const match of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
            pending.push(path.resolve(path.dirname(file), match[1]! + '.ts'));
        }
    }
    return [...seen].sort();
}

/** Returns the message keys that `files` pass to `message(...)`, `TaskError(...)` and its subclasses. */
function usedMessageKeys(files: string[]): Map<string, string> {
    const used = new Map<string, string>();
    for (const file of files) {
        const text = fs.readFileSync(file, 'utf8');
        for (const match of text.matchAll(/\b(?:message|TaskError|NativeLibraryNotFoundError)\(\s*'([A-Za-z]+)'/g)) {
            used.set(match[1]!, file);
        }
    }
    return used;
}

describe('task resources', function () {
    const task = readJson<TaskJson>(path.join(TASK_DIR, 'task.json'));
    const manifest = readJson<{ contributions: Contribution[] }>(path.join(AZURE_TASK_DIR, 'vss-extension.json'));
    const endpointType = manifest.contributions.find((c) => c.type === 'ms.vss-endpoint.service-endpoint-type');

    const registryTask = readJson<TaskJson>(path.join(REGISTRY_TASK_DIR, 'task.json'));
    const taskContributions = manifest.contributions.filter((c) => c.type === 'ms.vss-distributed-task.task');

    it('message keys match task.json', function () {
        assert.deepStrictEqual(Object.keys(task.messages).sort(), [...MESSAGE_KEYS].sort());
        assert.deepStrictEqual(Object.keys(registryTask.messages).sort(), [...REGISTRY_MESSAGE_KEYS].sort());
    });

    it('shared messages have one text', function () {
        const shared = MESSAGE_KEYS.filter((key) => (REGISTRY_MESSAGE_KEYS as readonly string[]).includes(key));
        assert.ok(shared.length >= 10, `expected the native library's messages in both tasks, found ${shared.join(', ')}`);
        for (const key of shared) {
            assert.strictEqual(registryTask.messages[key], task.messages[key], `message ${key}`);
        }
    });

    it('each task raises only its own messages', function () {
        const tasks = [
            { name: 'QualysAuthenticate', entry: path.join(TASK_DIR, 'src', 'index.ts'), keys: task.messages },
            { name: 'QualysRegistryLogin', entry: path.join(REGISTRY_TASK_DIR, 'src', 'index.ts'), keys: registryTask.messages },
        ];
        for (const { name, entry, keys } of tasks) {
            const used = usedMessageKeys(importedSources(entry));
            assert.ok(used.size >= 10, `${name}: the source scan found only ${[...used.keys()].join(', ')}`);
            for (const [key, file] of used) {
                assert.ok(key in keys, `${path.relative(AZURE_TASK_DIR, file)} uses message ${key}, which ${name}/task.json lacks`);
            }
        }
        // The scan covers every source file of the tasks.
        const scanned = new Set([...importedSources(tasks[0]!.entry), ...importedSources(tasks[1]!.entry)]);
        const all = [...sourceFiles(path.join(TASK_DIR, 'src')), ...sourceFiles(path.join(REGISTRY_TASK_DIR, 'src'))];
        assert.deepStrictEqual(all.filter((file) => !scanned.has(file)), [], 'source files no entry point imports');
    });

    it('manifest contributes both tasks', function () {
        const manifestFiles = readJson<{ files: { path: string }[] }>(path.join(AZURE_TASK_DIR, 'vss-extension.json')).files;
        for (const [folder, taskJson] of [
            ['QualysAuthenticate', task],
            ['QualysRegistryLogin', registryTask],
        ] as const) {
            assert.strictEqual(taskJson.name, folder);
            assert.ok(taskContributions.some((c) => c.properties.name === folder), `no task contribution for ${folder}`);
            assert.ok(manifestFiles.some((file) => file.path === folder), `the manifest does not package ${folder}`);
        }
        assert.notStrictEqual(task.id, registryTask.id, 'the tasks need distinct ids');
    });

    it('registry task takes a Docker Registry connection', function () {
        const connection = registryTask.inputs.find((input) => input.name === 'dockerRegistryServiceConnection');
        assert.strictEqual(connection?.type, 'connectedService:dockerregistry');
    });

    it('generated loc files are current', function () {
        for (const { file, text } of locFileTexts()) {
            assert.ok(fs.existsSync(file), `${file} is missing; run node tools/generate-loc.js`);
            assert.strictEqual(fs.readFileSync(file, 'utf8'), text, `${file} is stale; run node tools/generate-loc.js`);
        }
    });

    it('credential rule matches the core', function () {
        const source = fs.readFileSync(path.join(REPO_ROOT, 'src', 'platform.rs'), 'utf8');
        const match = /pub const CREDENTIAL_RULE: &str = "((?:[^"\\]|\\[\s\S])*)"/.exec(source);
        assert.ok(match !== null, 'CREDENTIAL_RULE not found in src/platform.rs');
        // A backslash at the end of a Rust string line skips the line break
        // and the next line's leading whitespace.
        const rule = match[1]!.replace(/\\\n\s*/g, '');
        assert.strictEqual(task.messages['CredentialRule'], rule);
    });

    it('POD lists match the core', function () {
        const output = execFileSync(CLI_BIN, ['pods', '--format', 'json'], { encoding: 'utf8' });
        const corePods = (JSON.parse(output) as { pods: { name: string }[] }).pods.map((pod) => pod.name);
        assert.strictEqual(corePods.length, 12);

        const taskPods = Object.keys(task.inputs.find((input) => input.name === 'pod')?.options ?? {});
        assert.deepStrictEqual(taskPods, corePods, 'task.json pod options');

        const endpointPods = (endpointType?.properties.inputDescriptors ?? [])
            .find((input) => input.id === 'pod')
            ?.values?.possibleValues.map((value) => value.value);
        assert.deepStrictEqual(endpointPods, corePods, 'service connection POD values');
    });

    it('connection keeps settings in endpoint data', function () {
        assert.ok(endpointType !== undefined, 'vss-extension.json contributes no service endpoint type');
        const connectedService = task.inputs.find((input) => input.name === 'qualysConnection');
        assert.strictEqual(connectedService?.type, `connectedService:${endpointType.properties.name}`);

        const dataInputs = endpointType.properties.inputDescriptors ?? [];
        assert.deepStrictEqual(dataInputs.map((input) => input.id).sort(), ['gatewayUrl', 'pod']);
        assert.ok(dataInputs.every((input) => input.isConfidential === false), 'POD and gateway URL are not secret');

        const schemes = endpointType.properties.authenticationSchemes ?? [];
        assert.deepStrictEqual(schemes.map((scheme) => scheme.type), ['ms.vss-endpoint.endpoint-auth-scheme-token']);
        const parameters = schemes[0]!.inputDescriptors;
        assert.deepStrictEqual(parameters.map((input) => [input.id, input.isConfidential]), [['apitoken', true]]);
    });

    it('lockfiles fetch only from npm', function () {
        for (const file of [
            path.join(AZURE_TASK_DIR, 'package-lock.json'),
            path.join(TASK_DIR, 'package-lock.json'),
            path.join(REGISTRY_TASK_DIR, 'package-lock.json'),
        ]) {
            const lock = readJson<{ packages: Record<string, { resolved?: string; integrity?: string }> }>(file);
            for (const [name, entry] of Object.entries(lock.packages)) {
                if (name === '') {
                    continue;
                }
                if (entry.resolved !== undefined) {
                    assert.ok(entry.resolved.startsWith('https://registry.npmjs.org/'), `${file}: ${name} from ${entry.resolved}`);
                }
                assert.ok(entry.integrity?.startsWith('sha512-'), `${file}: ${name} has no sha512 integrity`);
            }
        }
    });

    it('declares current Node handlers', function () {
        for (const [directory, taskJson] of [
            [TASK_DIR, task],
            [REGISTRY_TASK_DIR, registryTask],
        ] as const) {
            assert.deepStrictEqual(Object.keys(taskJson.execution).sort(), ['Node20_1', 'Node24']);
            for (const handler of Object.values(taskJson.execution)) {
                assert.ok(fs.existsSync(path.join(directory, handler.target)), `${taskJson.name}: ${handler.target} is not built`);
            }
        }
    });

    it('both tasks ship the same runtime dependencies', function () {
        const lock = (directory: string): unknown =>
            readJson<{ packages: Record<string, unknown> }>(path.join(directory, 'package-lock.json')).packages['node_modules/koffi'];
        assert.deepStrictEqual(lock(REGISTRY_TASK_DIR), lock(TASK_DIR), 'koffi differs between the task folders');
    });
});
