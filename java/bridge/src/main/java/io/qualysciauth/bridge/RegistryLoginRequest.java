package io.qualysciauth.bridge;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * A private container registry login for {@link QualysAuth#registryLogin}:
 * the registry, a user name and password from the host (a Jenkins "Username
 * with password" credential, say), where to store them, and connection
 * settings.
 *
 * <p>The request keeps the caller's password array without copying it, and
 * {@link QualysAuth#registryLogin} clears that array once it has passed it to
 * the native library, whether the login succeeds or fails, so a request is
 * good for one login. {@link #close()} clears the array of a request that was
 * never used. {@link #toString()} shows no secret.
 */
public final class RegistryLoginRequest implements AutoCloseable {
    private final String registry;
    private final String username;
    private final char[] password;
    private final String credentialSource;
    private final Platform platform;
    private final Path dockerConfigDir;
    private final boolean allowInsecureLoopback;
    private final String caPem;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final Integer maxAttempts;
    private final Duration deadline;
    private final ProxySettings proxy;

    private RegistryLoginRequest(Builder builder) {
        this.registry = builder.registry;
        this.username = builder.username;
        this.password = builder.password;
        this.credentialSource = builder.credentialSource;
        this.platform = builder.platform;
        this.dockerConfigDir = builder.dockerConfigDir;
        this.allowInsecureLoopback = builder.allowInsecureLoopback;
        this.caPem = builder.caPem;
        this.connectTimeout = builder.connectTimeout;
        this.requestTimeout = builder.requestTimeout;
        this.maxAttempts = builder.maxAttempts;
        this.deadline = builder.deadline;
        this.proxy = builder.proxy;
    }

    /**
     * Returns a builder for a login to {@code registry}: a registry host
     * ({@code ghcr.io}, {@code registry.example.com:5000}) or an image
     * reference ({@code ghcr.io/org/app:1.0}).
     */
    public static Builder builder(String registry, String username, char[] password) {
        return new Builder(registry, username, password);
    }

    public String registry() {
        return registry;
    }

    public String username() {
        return username;
    }

    RegistryLoginReport loginNative() throws QualysAuthException {
        return NativeBridge.registryLogin(registry, username, password, credentialSource,
                platform == null ? null : platform.wireName(),
                dockerConfigDir == null ? null : dockerConfigDir.toString(), allowInsecureLoopback, caPem,
                SessionOptions.millis(connectTimeout), SessionOptions.millis(requestTimeout),
                maxAttempts == null ? -1 : maxAttempts, SessionOptions.millis(deadline),
                proxy == null ? null : proxy.host(), proxy == null ? 0 : proxy.port(),
                proxy == null ? null : proxy.username().orElse(null), proxy == null ? null : proxy.password());
    }

    /** Clears the password. A proxy password stays the caller's to clear. */
    @Override
    public void close() {
        Secrets.clear(password);
    }

    @Override
    public String toString() {
        return "RegistryLoginRequest{registry=" + registry + ", username=" + username
                + ", password=[REDACTED], credentialSource=" + credentialSource + ", dockerConfigDir="
                + dockerConfigDir + ", proxy=" + proxy + "}";
    }

    /** Builds a {@link RegistryLoginRequest}; the registry and credential are checked by the core. */
    public static final class Builder {
        private final String registry;
        private final String username;
        private final char[] password;
        private String credentialSource;
        private Platform platform;
        private Path dockerConfigDir;
        private boolean allowInsecureLoopback;
        private String caPem;
        private Duration connectTimeout;
        private Duration requestTimeout;
        private Integer maxAttempts;
        private Duration deadline;
        private ProxySettings proxy;

        private Builder(String registry, String username, char[] password) {
            this.registry = Objects.requireNonNull(registry, "registry");
            this.username = Objects.requireNonNull(username, "username");
            this.password = Objects.requireNonNull(password, "password");
        }

        /** Names where the credential came from in the report, such as a credential ID; never a value. */
        public Builder credentialSource(String source) {
            this.credentialSource = source;
            return this;
        }

        /** Sets the CI platform; {@code null} lets the core detect it from the process environment. */
        public Builder platform(Platform platform) {
            this.platform = platform;
            return this;
        }

        /**
         * Sets the directory of Docker's {@code config.json} (what
         * {@code DOCKER_CONFIG} names); {@code null} means this process's
         * {@code $DOCKER_CONFIG}, else {@code ~/.docker}. It is created with
         * mode 0700 when missing.
         */
        public Builder dockerConfigDir(Path dir) {
            this.dockerConfigDir = dir;
            return this;
        }

        /** Accepts {@code http://} for a registry on a loopback address, for tests and local registries. */
        public Builder allowInsecureLoopback(boolean allow) {
            this.allowInsecureLoopback = allow;
            return this;
        }

        /** Adds PEM CA certificates to the system's trust roots, for a registry with a private CA. */
        public Builder caPem(String caPem) {
            this.caPem = caPem;
            return this;
        }

        /** Sets the HTTP proxy for the registry's API and token service. */
        public Builder proxy(ProxySettings proxy) {
            this.proxy = proxy;
            return this;
        }

        /** Sets the number of attempts per request, the first included (1 or more). */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException(
                        "the maximum number of attempts is " + maxAttempts + "; pass 1 or more");
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** Sets the bound on the login, its retries and waits included (at least one millisecond). */
        public Builder deadline(Duration deadline) {
            Objects.requireNonNull(deadline, "deadline");
            if (deadline.toMillis() < 1) {
                throw new IllegalArgumentException("the deadline is " + deadline + "; pass at least one millisecond");
            }
            this.deadline = deadline;
            return this;
        }

        /**
         * Copies the CA certificates, timeouts, attempts, deadline and proxy
         * of session options, so that registry requests use the same
         * connection settings as the gateway's.
         */
        public Builder connectionFrom(SessionOptions options) {
            this.caPem = options.caPem();
            this.connectTimeout = options.connectTimeout();
            this.requestTimeout = options.requestTimeout();
            this.maxAttempts = options.maxAttempts();
            this.deadline = options.deadline();
            this.proxy = options.proxy().orElse(null);
            return this;
        }

        public RegistryLoginRequest build() {
            return new RegistryLoginRequest(this);
        }
    }
}
