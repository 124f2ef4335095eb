/**
 * Starts the `qualys-gateway-simulator` binary on 127.0.0.1 for one suite
 * and drives its control API (`/__simulator/`) over HTTPS with its CA.
 */

import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';

import { SIMULATOR_BIN } from './paths';

/** The JSON line the simulator prints once it listens. */
interface ReadyLine {
    url: string;
    ca_pem: string;
    ca_file: string | null;
    pid: number;
}

/** Body of `POST /__simulator/tokens`; see the simulator crate's documentation. */
export interface TokenSpec {
    subject: string;
    modules?: string[];
    lifetime_seconds?: number;
    issued_days_ago?: number;
    opaque?: boolean;
}

/** A running simulator. Call `stop()` when the suite ends. */
export class Simulator {
    private constructor(
        private readonly child: ChildProcessWithoutNullStreams,
        readonly url: string,
        readonly caPem: string,
        /** The CA certificate as a file, for the task's CA settings. */
        readonly caFile: string,
        private readonly directory: string,
    ) {}

    /** Starts the binary and waits for its ready line (at most 30 s). */
    static async start(): Promise<Simulator> {
        if (!fs.existsSync(SIMULATOR_BIN)) {
            throw new Error(
                `simulator binary not found at ${SIMULATOR_BIN}; build it with ` +
                    '`cargo build -p qualys-gateway-simulator` or set QUALYS_SIMULATOR_BIN',
            );
        }
        const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'qualys-sim-'));
        const caFile = path.join(directory, 'ca.pem');
        // --exit-on-stdin-eof: the simulator stops when this process dies.
        const child = spawn(SIMULATOR_BIN, ['--exit-on-stdin-eof', '--ca-out', caFile], {
            stdio: ['pipe', 'pipe', 'pipe'],
            env: { ...process.env, RUST_LOG: 'warn' },
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => {
            stderr += chunk.toString('utf8');
        });

        const ready = await new Promise<ReadyLine>((resolve, reject) => {
            const lines = readline.createInterface({ input: child.stdout });
            const timer = setTimeout(() => {
                reject(new Error(`the simulator printed no ready line within 30 s; stderr: ${stderr}`));
            }, 30_000);
            lines.once('line', (line) => {
                clearTimeout(timer);
                try {
                    resolve(JSON.parse(line) as ReadyLine);
                } catch (error) {
                    reject(new Error(`the simulator's ready line is not JSON: ${line}`));
                }
            });
            child.once('exit', (code) => {
                clearTimeout(timer);
                reject(new Error(`the simulator exited with ${code} before it was ready; stderr: ${stderr}`));
            });
        });
        return new Simulator(child, ready.url, ready.ca_pem, caFile, directory);
    }

    /** Closes the simulator's standard input, waits for it to exit, removes its files. */
    async stop(): Promise<void> {
        if (this.child.exitCode === null) {
            const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
            this.child.stdin.end();
            const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(timer);
        }
        fs.rmSync(this.directory, { recursive: true, force: true });
    }

    /** Sends one control request and returns its parsed JSON body. */
    private request(method: 'GET' | 'POST', route: string, body?: unknown): Promise<unknown> {
        const target = new URL(`/__simulator/${route}`, this.url);
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
        return new Promise((resolve, reject) => {
            const request = https.request(
                target,
                {
                    method,
                    ca: this.caPem,
                    headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
                },
                (response) => {
                    const chunks: Buffer[] = [];
                    response.on('data', (chunk: Buffer) => chunks.push(chunk));
                    response.on('end', () => {
                        const text = Buffer.concat(chunks).toString('utf8');
                        if (response.statusCode !== 200) {
                            reject(new Error(`${method} ${target.pathname} returned ${response.statusCode}: ${text}`));
                            return;
                        }
                        resolve(JSON.parse(text));
                    });
                },
            );
            request.on('error', reject);
            request.end(payload);
        });
    }

    /** Mints an API token and returns its value. */
    async mintToken(spec: TokenSpec): Promise<string> {
        const response = (await this.request('POST', 'tokens', spec)) as { token: string };
        return response.token;
    }

    /** Revokes a token; returns how many tokens were revoked (0 or 1). */
    async revokeToken(token: string): Promise<number> {
        const response = (await this.request('POST', 'revoke', { token })) as { revoked: number };
        return response.revoked;
    }

    /** Returns the number of gateway requests per path. */
    async requestCounts(): Promise<Record<string, number>> {
        const response = (await this.request('GET', 'counters')) as { paths: Record<string, number> };
        return response.paths;
    }
}
