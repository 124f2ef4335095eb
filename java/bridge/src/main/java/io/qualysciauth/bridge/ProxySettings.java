package io.qualysciauth.bridge;

import java.util.Objects;
import java.util.Optional;

/**
 * An HTTP proxy for gateway requests, such as the one in Jenkins's own
 * configuration. The password array is the caller's; {@link #close()}
 * clears it, and {@link #toString()} never shows it.
 *
 * <p>The native library sends every gateway request of a session through this
 * proxy with HTTP CONNECT, authenticating with Basic credentials when a user
 * name and password are given. Without proxy settings, the process's
 * {@code HTTPS_PROXY} and {@code NO_PROXY} variables apply.
 */
public final class ProxySettings implements AutoCloseable {
    private final String host;
    private final int port;
    private final String username;
    private final char[] password;

    /**
     * Creates proxy settings; {@code username} and {@code password} may be
     * {@code null} for a proxy without authentication.
     */
    public ProxySettings(String host, int port, String username, char[] password) {
        if (Objects.requireNonNull(host, "host").isBlank()) {
            throw new IllegalArgumentException("the proxy host is empty; pass a host name or address");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("the proxy port " + port + " is out of range; pass 1 to 65535");
        }
        this.host = host.trim();
        this.port = port;
        this.username = username == null || username.isBlank() ? null : username;
        this.password = password;
    }

    /** Returns the proxy's host name or address. */
    public String host() {
        return host;
    }

    /** Returns the proxy's port. */
    public int port() {
        return port;
    }

    /** Returns the user name for proxy authentication, if any. */
    public Optional<String> username() {
        return Optional.ofNullable(username);
    }

    /** Returns the password array itself, for the native call. */
    char[] password() {
        return password;
    }

    /** Clears the password. */
    @Override
    public void close() {
        Secrets.clear(password);
    }

    @Override
    public String toString() {
        return "ProxySettings{host=" + host + ", port=" + port + ", username=" + username
                + (password == null ? "" : ", password=[REDACTED]") + "}";
    }
}
