/**
 * Runs the built task as the Azure Pipelines agent does: `node dist/index.js`
 * in its own process, with inputs, service connections and variables in the
 * environment under the names that azure-pipelines-task-lib 5 reads
 * (`internal.js` `_loadData` and `task.js` `getInput`/`getEndpoint*`):
 *
 * - input `name`: `INPUT_<NAME>` (dots and spaces become `_`, upper case);
 *   the agent passes every declared input, with its default when unset;
 * - service connection `id`: `ENDPOINT_URL_<id>`, `ENDPOINT_AUTH_<id>` (JSON
 *   `{"parameters": {...}, "scheme": "..."}`), `ENDPOINT_AUTH_SCHEME_<id>`,
 *   `ENDPOINT_AUTH_PARAMETER_<id>_<KEY>` and `ENDPOINT_DATA_<id>_<KEY>`;
 * - secret variable `name`: `SECRET_<NAME>`, listed in `VSTS_SECRET_VARIABLES`;
 * - public variable `name`: `<NAME>`, listed in `VSTS_PUBLIC_VARIABLES`.
 *
 * Each run gets a fresh temporary directory as working directory and as
 * `Agent.TempDirectory`, where task-lib writes its `.taskkey` file, unless
 * the caller passes one to inspect afterwards.
 */

import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { ENV_PROBE, TASK_DIR, TASK_ENTRY } from './paths';

/** A service connection as the agent hands it to a task. */
export interface Endpoint {
    id: string;
    url: string;
    scheme: string;
    parameters: Record<string, string>;
    data: Record<string, string>;
}

/** What one task run gets from the "agent". */
export interface AgentRun {
    inputs?: Record<string, string>;
    endpoints?: Endpoint[];
    /** Secret variables, such as a variable group's `qualysToken`. */
    secrets?: Record<string, string>;
    /** Public variables in addition to the agent's own. */
    variables?: Record<string, string>;
    /** Process environment variables set last, over the defaults; undefined removes one. */
    environment?: Record<string, string | undefined>;
    /** Another entry point, for runs from a modified copy of the task. */
    entry?: string;
    /** The task folder whose task.json declares the inputs; QualysAuthenticate by default. */
    taskDir?: string;
    /**
     * The working directory and Agent.TempDirectory, owned and removed by the
     * caller; by default a fresh one that is removed after the run.
     */
    workDirectory?: string;
    /**
     * A file that receives the task process's environment, as JSON, when the
     * process exits (through the `env-probe.js` preload script).
     */
    environmentProbe?: string;
}

/** One `##vso[command properties]message` line. */
export interface VsoCommand {
    line: string;
    command: string;
    properties: Record<string, string>;
    message: string;
}

/** What the run printed and how it ended. */
export interface TaskRun {
    exitCode: number | null;
    stdout: string;
    stderr: string;
    commands: VsoCommand[];
}

/** Turns a task-lib variable or input name into its environment key. */
function variableKey(name: string): string {
    return name.replace(/\./g, '_').replace(/ /g, '_').toUpperCase();
}

/** Undoes task-lib's escaping of command properties and messages (`taskcommand.js`). */
function unescapeCommandText(text: string): string {
    return text
        .replace(/%0D/g, '\r')
        .replace(/%0A/g, '\n')
        .replace(/%5D/g, ']')
        .replace(/%3B/g, ';')
        .replace(/%AZP25/g, '%');
}

/** Parses the logging commands in `stdout`. */
export function parseCommands(stdout: string): VsoCommand[] {
    const commands: VsoCommand[] = [];
    for (const line of stdout.split(/\r?\n/)) {
        const match = /^##vso\[([\w.]+)(?: ([^\]]*))?\](.*)$/.exec(line);
        if (match === null) {
            continue;
        }
        const properties: Record<string, string> = {};
        for (const pair of (match[2] ?? '').split(';')) {
            const equals = pair.indexOf('=');
            if (equals > 0) {
                properties[pair.slice(0, equals).trim()] = unescapeCommandText(pair.slice(equals + 1));
            }
        }
        commands.push({ line, command: match[1] ?? '', properties, message: unescapeCommandText(match[3] ?? '') });
    }
    return commands;
}

/** Reads the inputs of `taskDir`'s task.json with their defaults. */
function declaredInputs(taskDir: string): { name: string; type: string; defaultValue: string }[] {
    const task = JSON.parse(fs.readFileSync(path.join(taskDir, 'task.json'), 'utf8')) as {
        inputs: { name: string; type: string; defaultValue?: string }[];
    };
    return task.inputs.map((input) => ({ ...input, defaultValue: input.defaultValue ?? '' }));
}

/** Builds the environment of one run in `workDirectory`. */
function agentEnvironment(run: AgentRun, workDirectory: string): NodeJS.ProcessEnv {
    const sources = path.join(workDirectory, 's');
    fs.mkdirSync(sources, { recursive: true });
    const env: NodeJS.ProcessEnv = {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: workDirectory,
        LANG: 'C.UTF-8',
        TF_BUILD: 'True',
        // Safety net: the gateway client honours these, so a request for any
        // host other than the loopback simulator fails locally instead of
        // leaving the machine.
        HTTPS_PROXY: 'http://127.0.0.1:9',
        NO_PROXY: '127.0.0.1,localhost',
    };

    const publicVariables: Record<string, string> = {
        'Agent.TempDirectory': workDirectory,
        'Agent.WorkFolder': workDirectory,
        'Agent.BuildDirectory': workDirectory,
        'Agent.OS': 'Linux',
        'Agent.OSArchitecture': 'X64',
        'Agent.Version': '4.260.0',
        'Agent.JobName': 'Job',
        'System.Culture': 'en-US',
        'System.HostType': 'build',
        'System.DefaultWorkingDirectory': sources,
        'Build.SourcesDirectory': sources,
        'Build.BuildId': '1',
        'System.JobId': '8d3c1a52-6f0e-4b7a-9c21-5e4f3a2b1c0d',
        ...run.variables,
    };
    for (const [name, value] of Object.entries(publicVariables)) {
        env[variableKey(name)] = value;
    }
    env['VSTS_PUBLIC_VARIABLES'] = JSON.stringify(Object.keys(publicVariables));

    const secrets = run.secrets ?? {};
    for (const [name, value] of Object.entries(secrets)) {
        env['SECRET_' + variableKey(name)] = value;
    }
    env['VSTS_SECRET_VARIABLES'] = JSON.stringify(Object.keys(secrets));

    // Every declared input is passed; an empty filePath input arrives as the
    // default working directory, as the agent resolves it against that.
    const inputs = run.inputs ?? {};
    for (const input of declaredInputs(run.taskDir ?? TASK_DIR)) {
        let value = inputs[input.name] ?? input.defaultValue;
        if (input.type === 'filePath' && value === '') {
            value = sources;
        }
        env['INPUT_' + variableKey(input.name)] = value;
    }
    for (const [name, value] of Object.entries(inputs)) {
        env['INPUT_' + variableKey(name)] = value;
    }

    for (const endpoint of run.endpoints ?? []) {
        env['ENDPOINT_URL_' + endpoint.id] = endpoint.url;
        env['ENDPOINT_AUTH_' + endpoint.id] = JSON.stringify({
            parameters: endpoint.parameters,
            scheme: endpoint.scheme,
        });
        env['ENDPOINT_AUTH_SCHEME_' + endpoint.id] = endpoint.scheme;
        for (const [key, value] of Object.entries(endpoint.parameters)) {
            env['ENDPOINT_AUTH_PARAMETER_' + endpoint.id + '_' + key.toUpperCase()] = value;
        }
        for (const [key, value] of Object.entries(endpoint.data)) {
            env['ENDPOINT_DATA_' + endpoint.id + '_' + key.toUpperCase()] = value;
        }
    }
    if (run.environmentProbe !== undefined) {
        env['NODE_OPTIONS'] = `--require ${ENV_PROBE}`;
        env['QCA_TEST_ENV_PROBE_FILE'] = run.environmentProbe;
    }
    for (const [name, value] of Object.entries(run.environment ?? {})) {
        if (value === undefined) {
            delete env[name];
        } else {
            env[name] = value;
        }
    }
    return env;
}

/** Runs the task once and collects its output (at most 60 s). */
export async function runTask(run: AgentRun): Promise<TaskRun> {
    const workDirectory = run.workDirectory ?? fs.mkdtempSync(path.join(os.tmpdir(), 'qualys-task-'));
    try {
        const child = spawn(process.execPath, [run.entry ?? TASK_ENTRY], {
            cwd: workDirectory,
            env: agentEnvironment(run, workDirectory),
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => {
            stdout += chunk.toString('utf8');
        });
        child.stderr.on('data', (chunk: Buffer) => {
            stderr += chunk.toString('utf8');
        });
        const exitCode = await new Promise<number | null>((resolve, reject) => {
            const timer = setTimeout(() => {
                child.kill('SIGKILL');
                reject(new Error(`the task did not finish within 60 s; stdout so far:\n${stdout}`));
            }, 60_000);
            child.on('error', reject);
            child.on('close', (code) => {
                clearTimeout(timer);
                resolve(code);
            });
        });
        return { exitCode, stdout, stderr, commands: parseCommands(stdout) };
    } finally {
        if (run.workDirectory === undefined) {
            fs.rmSync(workDirectory, { recursive: true, force: true });
        }
    }
}
