/**
 * Checks on a task run's logging commands and on where secrets appear.
 */

import * as assert from 'assert';

import { TaskRun, VsoCommand } from './agent';

/** The value and flags of a `task.setvariable` command. */
export interface SetVariable {
    value: string;
    secret: boolean;
    output: boolean;
}

/** Returns the `task.complete` commands. */
export function completions(run: TaskRun): VsoCommand[] {
    return run.commands.filter((command) => command.command === 'task.complete');
}

/** Returns the messages of the issue commands of `type` (task-lib 5 writes `task.issue`). */
export function issues(run: TaskRun, type: 'warning' | 'error'): string[] {
    return run.commands
        .filter((command) => command.command === 'task.issue' && command.properties['type'] === type)
        .map((command) => command.message);
}

/** Returns the `artifact.upload` commands. */
export function artifactUploads(run: TaskRun): VsoCommand[] {
    return run.commands.filter((command) => command.command === 'artifact.upload');
}

/** Asserts that the task set exactly one result, `expected`, and returns its message. */
export function assertResult(run: TaskRun, expected: 'Succeeded' | 'SucceededWithIssues' | 'Failed'): string {
    const results = completions(run);
    assert.strictEqual(
        results.length,
        1,
        `expected exactly one task.complete command, got ${results.length}; stdout:\n${run.stdout}\nstderr:\n${run.stderr}`,
    );
    const result = results[0]!;
    assert.strictEqual(result.properties['result'], expected, `unexpected result; stdout:\n${run.stdout}`);
    // task-lib sets the result but does not exit non-zero; the agent reads the command.
    assert.strictEqual(run.exitCode, 0, `the task process exited with ${run.exitCode}; stderr:\n${run.stderr}`);
    return result.message;
}

/** Asserts a failed result whose message contains every fragment, and returns the message. */
export function assertFailedWith(run: TaskRun, ...fragments: string[]): string {
    const text = assertResult(run, 'Failed');
    for (const fragment of fragments) {
        assert.ok(text.includes(fragment), `the failure message lacks ${JSON.stringify(fragment)}: ${text}`);
    }
    const errors = run.commands.filter(
        (command) => command.command === 'task.issue' && command.properties['type'] === 'error',
    );
    assert.strictEqual(errors.length, 1, `expected one error issue, got ${errors.length}; stdout:\n${run.stdout}`);
    assert.strictEqual(errors[0]!.message, text);
    return text;
}

/** Returns the variables set, keyed by name and then by output flag. */
export function variables(run: TaskRun): Map<string, SetVariable[]> {
    const result = new Map<string, SetVariable[]>();
    for (const command of run.commands) {
        if (command.command !== 'task.setvariable') {
            continue;
        }
        const name = command.properties['variable'] ?? '';
        const list = result.get(name) ?? [];
        list.push({
            value: command.message,
            secret: command.properties['issecret'] === 'true',
            output: command.properties['isOutput'] === 'true',
        });
        result.set(name, list);
    }
    return result;
}

/**
 * Asserts that `name` was set once as a job variable and once as an output
 * variable, both with `value` and the given secrecy.
 */
export function assertVariable(run: TaskRun, name: string, value: string | RegExp, secret: boolean): void {
    const set = variables(run).get(name) ?? [];
    assert.deepStrictEqual(
        set.map((entry) => entry.output).sort(),
        [false, true],
        `${name} must be set as a job variable and as an output variable; got ${JSON.stringify(set.map((e) => ({ output: e.output, secret: e.secret })))}`,
    );
    for (const entry of set) {
        assert.strictEqual(entry.secret, secret, `${name} (output=${entry.output}) must have issecret=${secret}`);
        if (typeof value === 'string') {
            assert.ok(entry.value === value, `${name} (output=${entry.output}) has an unexpected value`);
        } else {
            assert.match(entry.value, value, `${name} (output=${entry.output})`);
        }
    }
}

/** Returns the values registered with `task.setsecret`. */
export function registeredSecrets(run: TaskRun): string[] {
    return run.commands.filter((command) => command.command === 'task.setsecret').map((command) => command.message);
}

/**
 * Asserts that `secret` never reaches the log: it is absent from stderr, and
 * the only stdout lines that contain it are the commands the agent consumes
 * without printing (`task.setsecret`, and `task.setvariable` with
 * `issecret=true`). The first line that contains it must be a
 * `task.setsecret`, and when a variable carries it, the exact value must be
 * registered before that variable is set. `exempt` names further lines
 * that may contain it, such as debug lines the agent masks itself.
 */
export function assertNeverPrinted(
    run: TaskRun,
    secret: string,
    label: string,
    exempt: (line: string) => boolean = () => false,
): void {
    assert.ok(secret.length > 0, 'an empty secret cannot be checked');
    assert.ok(!run.stderr.includes(secret), `${label} appears in stderr`);

    const lines = run.stdout.split(/\r?\n/);
    let firstIndex = -1;
    let registeredIndex = -1;
    let firstVariableIndex = -1;
    lines.forEach((line, index) => {
        if (!line.includes(secret) || exempt(line)) {
            return;
        }
        const isSetSecret = line.startsWith('##vso[task.setsecret]');
        const isSecretVariable = line.startsWith('##vso[task.setvariable ') && /[ ;]issecret=true;/.test(line);
        assert.ok(
            isSetSecret || isSecretVariable,
            `${label} appears in a printed stdout line: ${line.split(secret).join('<' + label + '>')}`,
        );
        if (firstIndex < 0) {
            firstIndex = index;
        }
        if (registeredIndex < 0 && line === `##vso[task.setsecret]${secret}`) {
            registeredIndex = index;
        }
        if (firstVariableIndex < 0 && isSecretVariable) {
            firstVariableIndex = index;
        }
    });
    if (firstIndex >= 0) {
        assert.ok(
            lines[firstIndex]!.startsWith('##vso[task.setsecret]'),
            `the first stdout line that contains ${label} must be a task.setsecret command`,
        );
    }
    if (firstVariableIndex >= 0) {
        assert.ok(
            registeredIndex >= 0 && registeredIndex < firstVariableIndex,
            `${label} must be registered with task.setsecret before a variable carries it`,
        );
    }
}
