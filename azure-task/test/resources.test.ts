/**
 * Checks the files that restate facts kept elsewhere: the task's string
 * resources against task.json, the credential rule against the core, and
 * the POD lists of the task and the service connection against the core's
 * POD table.
 */

import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { MESSAGE_KEYS } from '../QualysAuthenticate/dist/messages';
import { AZURE_TASK_DIR, CLI_BIN, REPO_ROOT, TASK_DIR } from './paths';

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

describe('task resources', function () {
    const task = readJson<TaskJson>(path.join(TASK_DIR, 'task.json'));
    const manifest = readJson<{ contributions: Contribution[] }>(path.join(AZURE_TASK_DIR, 'vss-extension.json'));
    const endpointType = manifest.contributions.find((c) => c.type === 'ms.vss-endpoint.service-endpoint-type');

    it('message keys match task.json', function () {
        assert.deepStrictEqual(Object.keys(task.messages).sort(), [...MESSAGE_KEYS].sort());
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
        for (const file of [path.join(AZURE_TASK_DIR, 'package-lock.json'), path.join(TASK_DIR, 'package-lock.json')]) {
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
        assert.deepStrictEqual(Object.keys(task.execution).sort(), ['Node20_1', 'Node24']);
        for (const handler of Object.values(task.execution)) {
            assert.ok(fs.existsSync(path.join(TASK_DIR, handler.target)), `${handler.target} is not built`);
        }
    });
});
