/**
 * A real container registry for the registry login tests: Debian's
 * `docker-registry` (the CNCF Distribution registry) started on 127.0.0.1
 * with TLS from a throwaway CA and htpasswd Basic authentication.
 *
 * Keys come from Node's crypto; node-forge turns them into the CA and server
 * certificates, because Node cannot issue X.509 certificates itself. The
 * htpasswd file is written by `htpasswd -iB`, which reads the password from
 * standard input, so no password appears on a command line.
 */

import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

import * as forge from 'node-forge';

/** The registry binary of Debian's `docker-registry` package. */
export const REGISTRY_BINARY = 'docker-registry';

/** Returns whether `program` is an executable on PATH. */
export function onPath(program: string): boolean {
    return (process.env['PATH'] ?? '')
        .split(path.delimiter)
        .some((directory) => directory.length > 0 && fs.existsSync(path.join(directory, program)));
}

/** A CA and a server certificate for 127.0.0.1 and localhost, as PEM files. */
export interface Pki {
    caFile: string;
    certificateFile: string;
    keyFile: string;
}

/** Returns a fresh RSA key pair in forge's form. */
function rsaKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
    return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

/** Returns a random positive serial number in hex. */
function serialNumber(): string {
    return '01' + crypto.randomBytes(15).toString('hex');
}

/** Writes a throwaway CA and a server certificate for 127.0.0.1 into `directory`. */
export function generatePki(directory: string): Pki {
    fs.mkdirSync(directory, { recursive: true });
    const now = new Date(Date.now() - 60_000);
    const later = new Date(Date.now() + 24 * 3600 * 1000);

    const caKeys = rsaKeyPair();
    const ca = forge.pki.createCertificate();
    ca.publicKey = caKeys.publicKey;
    ca.serialNumber = serialNumber();
    ca.validity.notBefore = now;
    ca.validity.notAfter = later;
    const caName = [{ name: 'commonName', value: 'qualys-ci-auth Azure task test CA' }];
    ca.setSubject(caName);
    ca.setIssuer(caName);
    ca.setExtensions([
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        { name: 'subjectKeyIdentifier' },
    ]);
    ca.sign(caKeys.privateKey, forge.md.sha256.create());

    const serverKeys = rsaKeyPair();
    const server = forge.pki.createCertificate();
    server.publicKey = serverKeys.publicKey;
    server.serialNumber = serialNumber();
    server.validity.notBefore = now;
    server.validity.notAfter = later;
    server.setSubject([{ name: 'commonName', value: 'localhost' }]);
    server.setIssuer(caName);
    server.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
            name: 'subjectAltName',
            altNames: [
                { type: 2, value: 'localhost' },
                { type: 7, ip: '127.0.0.1' },
            ],
        },
        { name: 'subjectKeyIdentifier' },
        { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
    ]);
    server.sign(caKeys.privateKey, forge.md.sha256.create());

    const pki = {
        caFile: path.join(directory, 'ca.pem'),
        certificateFile: path.join(directory, 'server.crt'),
        keyFile: path.join(directory, 'server.key'),
    };
    fs.writeFileSync(pki.caFile, forge.pki.certificateToPem(ca));
    fs.writeFileSync(pki.certificateFile, forge.pki.certificateToPem(server));
    fs.writeFileSync(pki.keyFile, forge.pki.privateKeyToPem(serverKeys.privateKey), { mode: 0o600 });
    return pki;
}

/** Adds a bcrypt entry for `user` to `file` with `htpasswd -iB`, the password on stdin. */
function addHtpasswdUser(file: string, user: string, password: string, create: boolean): void {
    const result = spawnSync('htpasswd', [create ? '-icB' : '-iB', file, user], {
        input: password,
        encoding: 'utf8',
    });
    if (result.status !== 0) {
        throw new Error(`htpasswd failed (${result.status}): ${result.stderr}`);
    }
}

/** Returns a port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

/** Resolves once something accepts connections on `port`, or rejects after `timeoutMs`. */
async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) {
            return false;
        }
        const open = await new Promise<boolean>((resolve) => {
            const socket = net.connect(port, '127.0.0.1');
            socket.once('connect', () => {
                socket.destroy();
                resolve(true);
            });
            socket.once('error', () => resolve(false));
        });
        if (open) {
            return true;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
}

/** A running `docker-registry serve` on 127.0.0.1 with TLS and htpasswd users. */
export class RealRegistry {
    private constructor(
        private readonly child: ChildProcess,
        readonly port: number,
        private readonly logFile: string,
    ) {}

    /** `127.0.0.1:PORT`, the registry's name in image references and config.json. */
    get host(): string {
        return `127.0.0.1:${this.port}`;
    }

    /** Starts the registry in `directory` with the given users (at most 3 tries for a port). */
    static async start(pki: Pki, directory: string, users: [string, string][]): Promise<RealRegistry> {
        fs.mkdirSync(directory, { recursive: true });
        const htpasswd = path.join(directory, 'htpasswd');
        users.forEach(([user, password], index) => addHtpasswdUser(htpasswd, user, password, index === 0));

        let lastLog = '';
        for (let attempt = 0; attempt < 3; attempt++) {
            const port = await freePort();
            const config = path.join(directory, 'config.yml');
            fs.writeFileSync(
                config,
                [
                    'version: 0.1',
                    'log:',
                    '  level: info',
                    'storage:',
                    '  filesystem:',
                    `    rootdirectory: ${path.join(directory, 'data')}`,
                    'http:',
                    `  addr: 127.0.0.1:${port}`,
                    '  secret: qualys-ci-auth-azure-test-upload-secret',
                    '  tls:',
                    `    certificate: ${pki.certificateFile}`,
                    `    key: ${pki.keyFile}`,
                    'auth:',
                    '  htpasswd:',
                    '    realm: qualys-ci-auth-azure-test',
                    `    path: ${htpasswd}`,
                    '',
                ].join('\n'),
            );
            const logFile = path.join(directory, `registry-${port}.log`);
            const log = fs.openSync(logFile, 'w');
            const child = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', log, log] });
            fs.closeSync(log);
            const registry = new RealRegistry(child, port, logFile);
            if (await waitForPort(port, child, 15_000)) {
                return registry;
            }
            lastLog = registry.log();
            await registry.stop();
        }
        throw new Error(`docker-registry did not start; last log:\n${lastLog}`);
    }

    /** Returns the registry's log so far. */
    log(): string {
        return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
    }

    /** Stops the registry and waits for it to exit. */
    async stop(): Promise<void> {
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
            return;
        }
        const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
        this.child.kill('SIGTERM');
        const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
    }
}
