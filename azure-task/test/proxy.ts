/**
 * A loopback HTTP proxy that tunnels CONNECT requests to 127.0.0.1 only,
 * records them, and checks Basic proxy credentials when it has some.
 */

import * as http from 'http';
import * as net from 'net';

/** One CONNECT request the proxy received. */
export interface ConnectRequest {
    target: string;
    authorization: string | undefined;
}

export class ConnectProxy {
    readonly requests: ConnectRequest[] = [];

    private constructor(
        private readonly server: http.Server,
        readonly url: string,
    ) {}

    /** Starts the proxy on a free port of 127.0.0.1. */
    static async start(credentials?: { username: string; password: string }): Promise<ConnectProxy> {
        const expected =
            credentials === undefined
                ? undefined
                : 'Basic ' + Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
        const server = http.createServer((_request, response) => {
            response.writeHead(405).end('only CONNECT is supported\n');
        });
        const proxy = new ConnectProxy(server, '');

        server.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
            const target = request.url ?? '';
            const authorization = request.headers['proxy-authorization'];
            proxy.requests.push({ target, authorization });
            const [host, port] = target.split(':');
            if (expected !== undefined && authorization !== expected) {
                client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n');
                return;
            }
            // Nothing but the loopback simulator may be reached through it.
            if (host !== '127.0.0.1' || port === undefined) {
                client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
                return;
            }
            const upstream = net.connect(Number(port), host, () => {
                client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
                upstream.write(head);
                upstream.pipe(client);
                client.pipe(upstream);
            });
            upstream.on('error', () => client.destroy());
            client.on('error', () => upstream.destroy());
        });

        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const address = server.address() as net.AddressInfo;
        return Object.assign(proxy, { url: `http://127.0.0.1:${address.port}` });
    }

    /** Stops the proxy and closes its tunnels. */
    async stop(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }
}
