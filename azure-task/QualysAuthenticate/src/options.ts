/**
 * Input readers that both tasks use: trimmed text, bounded whole numbers,
 * file paths, and the extra CA certificates of the `caCertFile` input and
 * of the agent.
 */

import * as fs from 'fs';

import * as tl from 'azure-pipelines-task-lib/task';

import { TaskError, message } from './messages';

/** Returns the trimmed value, or undefined for a missing or blank one. */
export function present(value: string | undefined): string | undefined {
    const trimmed = value?.trim();
    return trimmed === undefined || trimmed.length === 0 ? undefined : trimmed;
}

/** Reads a whole-number input within bounds, or its default. */
export function wholeNumberInput(name: string, fallback: number, min: number, max: number): number {
    const raw = present(tl.getInput(name, false));
    if (raw === undefined) {
        return fallback;
    }
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
        throw new TaskError('InvalidWholeNumber', name, min, max, raw);
    }
    return Number(raw);
}

/**
 * Reads a `filePath` input. The agent resolves such an input against the
 * sources directory, so one that was left empty arrives as that directory:
 * a directory counts as unset.
 */
export function filePathInput(name: string): string | undefined {
    const value = present(tl.getInput(name, false));
    if (value !== undefined && fs.existsSync(value) && fs.statSync(value).isDirectory()) {
        tl.debug(`${name} points to a directory; it is treated as unset`);
        return undefined;
    }
    return value;
}

/** Reads a PEM file for one of the CA settings. */
function readCaFile(file: string, origin: string): Buffer {
    try {
        return fs.readFileSync(file);
    } catch (error) {
        const cause = error instanceof Error ? error.message : String(error);
        throw new TaskError('CaFileUnreadable', file, origin, cause);
    }
}

/**
 * Collects the extra trust roots: the `caCertFile` input and the agent's
 * own CA bundle (`Agent.CAInfo`, set when the agent was configured with
 * `--sslcacert`), concatenated when both are set.
 */
export function readCaCertificates(): Buffer | undefined {
    const parts: Buffer[] = [];
    const inputFile = filePathInput('caCertFile');
    if (inputFile !== undefined) {
        parts.push(readCaFile(inputFile, 'the caCertFile input'));
    }
    const agentFile = present(tl.getHttpCertConfiguration()?.caFile);
    if (agentFile !== undefined) {
        console.log(message('AgentCaFile', agentFile));
        parts.push(readCaFile(agentFile, 'the agent setting Agent.CAInfo'));
    }
    if (parts.length === 0) {
        return undefined;
    }
    return Buffer.concat(parts.flatMap((part) => [part, Buffer.from('\n')]));
}
