package io.qualysciauth.bridge;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal HTTP CONNECT proxy on 127.0.0.1 for tests: it tunnels only to
 * 127.0.0.1, counts the tunnels it opened and the requests it rejected for
 * missing or wrong Basic credentials, and refuses any other target with 403.
 */
public final class ConnectProxy implements AutoCloseable {
    private static final int MAX_HEADER_BYTES = 16 * 1024;

    private final ServerSocket server;
    private final String expectedAuthorization;
    private final AtomicInteger tunnels = new AtomicInteger();
    private final AtomicInteger rejected = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private ConnectProxy(String username, String password) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.expectedAuthorization = username == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(
                        (username + ":" + password).getBytes(StandardCharsets.UTF_8));
        this.acceptor = new Thread(this::acceptLoop, "connect-proxy-" + server.getLocalPort());
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    /** Starts a proxy that needs no credentials. */
    public static ConnectProxy open() throws IOException {
        return new ConnectProxy(null, null);
    }

    /** Starts a proxy that needs {@code Proxy-Authorization: Basic} with these credentials. */
    public static ConnectProxy withBasicAuth(String username, String password) throws IOException {
        return new ConnectProxy(username, password);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Returns the number of tunnels opened. */
    public int tunnels() {
        return tunnels.get();
    }

    /** Returns the number of requests rejected with 407. */
    public int rejected() {
        return rejected.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                sockets.add(client);
                Thread handler = new Thread(() -> handle(client), "connect-proxy-client");
                handler.setDaemon(true);
                handler.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void handle(Socket client) {
        try {
            String head = readHead(client.getInputStream());
            String[] lines = head.split("\r\n");
            String[] requestLine = lines[0].split(" ");
            String method = requestLine.length > 0 ? requestLine[0] : "";
            String target = requestLine.length > 1 ? requestLine[1] : "";
            String authorization = null;
            for (String line : lines) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT)
                        .equals("proxy-authorization")) {
                    authorization = line.substring(colon + 1).trim();
                }
            }
            OutputStream toClient = client.getOutputStream();
            if (!method.equals("CONNECT") || !target.startsWith("127.0.0.1:")) {
                toClient.write("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                client.close();
                return;
            }
            if (expectedAuthorization != null && !expectedAuthorization.equals(authorization)) {
                rejected.incrementAndGet();
                toClient.write(("HTTP/1.1 407 Proxy Authentication Required\r\n"
                        + "proxy-authenticate: Basic realm=\"test\"\r\ncontent-length: 0\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                client.close();
                return;
            }
            int port = Integer.parseInt(target.substring("127.0.0.1:".length()));
            Socket upstream = new Socket(InetAddress.getLoopbackAddress(), port);
            sockets.add(upstream);
            tunnels.incrementAndGet();
            toClient.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Thread pump = new Thread(() -> copy(upstream, client), "connect-proxy-down");
            pump.setDaemon(true);
            pump.start();
            copy(client, upstream);
        } catch (IOException | RuntimeException e) {
            closeQuietly(client);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length && head.size() < MAX_HEADER_BYTES) {
            int next = in.read();
            if (next < 0) {
                throw new IOException("the client closed the connection before the end of the request head");
            }
            head.write(next);
            matched = next == end[matched] ? matched + 1 : (next == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static void copy(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
        } catch (IOException closed) {
            // One side closed the tunnel; close the other below.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing a test socket twice or after a reset is fine.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        sockets.forEach(ConnectProxy::closeQuietly);
    }
}
