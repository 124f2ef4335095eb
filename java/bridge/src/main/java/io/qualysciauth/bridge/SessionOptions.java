package io.qualysciauth.bridge;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything about a session except its credential: the gateway (a POD or an
 * explicit URL, exactly one), the platform, connection settings, and the
 * audit log with the environment label and run that label its records.
 * Unset values keep the core's defaults (10 s to connect, 30 s per request,
 * 5 attempts within 120 s, no audit log). Immutable; build one with
 * {@link #builder()}.
 */
public final class SessionOptions {
    private final String pod;
    private final String gatewayUrl;
    private final Platform platform;
    private final Backend backend;
    private final String caPem;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final Integer maxAttempts;
    private final Duration deadline;
    private final String verifyPath;
    private final ProxySettings proxy;
    private final Path auditLog;
    private final String environment;
    private final String runId;
    private final String runUrl;

    private SessionOptions(Builder builder) {
        this.pod = builder.pod;
        this.gatewayUrl = builder.gatewayUrl;
        this.platform = builder.platform;
        this.backend = builder.backend;
        this.caPem = builder.caPem;
        this.connectTimeout = builder.connectTimeout;
        this.requestTimeout = builder.requestTimeout;
        this.maxAttempts = builder.maxAttempts;
        this.deadline = builder.deadline;
        this.verifyPath = builder.verifyPath;
        this.proxy = builder.proxy;
        this.auditLog = builder.auditLog;
        this.environment = builder.environment;
        this.runId = builder.runId;
        this.runUrl = builder.runUrl;
    }

    /** Returns a builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns a builder that starts from these options. */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.pod = pod;
        builder.gatewayUrl = gatewayUrl;
        builder.platform = platform;
        builder.backend = backend;
        builder.caPem = caPem;
        builder.connectTimeout = connectTimeout;
        builder.requestTimeout = requestTimeout;
        builder.maxAttempts = maxAttempts;
        builder.deadline = deadline;
        builder.verifyPath = verifyPath;
        builder.proxy = proxy;
        builder.auditLog = auditLog;
        builder.environment = environment;
        builder.runId = runId;
        builder.runUrl = runUrl;
        return builder;
    }

    public Optional<String> pod() {
        return Optional.ofNullable(pod);
    }

    public Optional<String> gatewayUrl() {
        return Optional.ofNullable(gatewayUrl);
    }

    /** Returns the platform; empty means the core detects it from the process environment. */
    public Optional<Platform> platform() {
        return Optional.ofNullable(platform);
    }

    /** Returns the requested backend; empty means the credential kind decides. */
    public Optional<Backend> backend() {
        return Optional.ofNullable(backend);
    }

    public Optional<ProxySettings> proxy() {
        return Optional.ofNullable(proxy);
    }

    /** Returns the audit log file, if the session records each use of its token. */
    public Optional<Path> auditLog() {
        return Optional.ofNullable(auditLog);
    }

    /** Returns the environment label (such as {@code prod}) of the audit records and the policy. */
    public Optional<String> environment() {
        return Optional.ofNullable(environment);
    }

    String caPem() {
        return caPem;
    }

    Duration connectTimeout() {
        return connectTimeout;
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    Integer maxAttempts() {
        return maxAttempts;
    }

    Duration deadline() {
        return deadline;
    }

    /** Opens the native session for {@code credential}; package-private because it takes the raw secret. */
    long openNative(Credential credential) throws QualysAuthException {
        String proxyHost = proxy == null ? null : proxy.host();
        int proxyPort = proxy == null ? 0 : proxy.port();
        String proxyUser = proxy == null ? null : proxy.username().orElse(null);
        char[] proxyPassword = proxy == null ? null : proxy.password();
        return NativeBridge.open(pod, gatewayUrl, platform == null ? null : platform.wireName(),
                backend == null ? null : backend.wireName(), caPem, millis(connectTimeout),
                millis(requestTimeout), maxAttempts == null ? -1 : maxAttempts, millis(deadline), verifyPath,
                credential.username().orElse(null), credential.secret(), proxyHost, proxyPort, proxyUser,
                proxyPassword, auditLog == null ? null : auditLog.toString(), environment, runId, runUrl);
    }

    static long millis(Duration duration) {
        return duration == null ? -1 : duration.toMillis();
    }

    @Override
    public String toString() {
        return "SessionOptions{pod=" + pod + ", gatewayUrl=" + gatewayUrl + ", platform=" + platform
                + ", backend=" + backend + ", caPem=" + (caPem == null ? "none" : "set")
                + ", connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout
                + ", maxAttempts=" + maxAttempts + ", deadline=" + deadline + ", verifyPath=" + verifyPath
                + ", proxy=" + proxy + ", auditLog=" + auditLog + ", environment=" + environment
                + ", runId=" + runId + ", runUrl=" + runUrl + "}";
    }

    /** Builds {@link SessionOptions}; the gateway is checked when the session opens. */
    public static final class Builder {
        private String pod;
        private String gatewayUrl;
        private Platform platform;
        private Backend backend;
        private String caPem;
        private Duration connectTimeout;
        private Duration requestTimeout;
        private Integer maxAttempts;
        private Duration deadline;
        private String verifyPath;
        private ProxySettings proxy;
        private Path auditLog;
        private String environment;
        private String runId;
        private String runUrl;

        private Builder() {
        }

        /** Sets the POD, such as {@code US1} (any case); clear the gateway URL when setting this. */
        public Builder pod(String pod) {
            this.pod = pod;
            return this;
        }

        /** Sets an explicit {@code https} gateway URL, for platforms without a POD name. */
        public Builder gatewayUrl(String gatewayUrl) {
            this.gatewayUrl = gatewayUrl;
            return this;
        }

        /** Sets the platform; {@code null} lets the core detect it from the process environment. */
        public Builder platform(Platform platform) {
            this.platform = platform;
            return this;
        }

        /** Sets the backend; {@code null} lets the credential kind decide. */
        public Builder backend(Backend backend) {
            this.backend = backend;
            return this;
        }

        /** Adds PEM CA certificates to the system's trust roots (a TLS-inspecting proxy's CA, say). */
        public Builder caPem(String caPem) {
            this.caPem = caPem;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connect timeout");
            return this;
        }

        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "request timeout");
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

        /** Sets the bound on one operation, its retries and waits included. */
        public Builder deadline(Duration deadline) {
            this.deadline = positive(deadline, "deadline");
            return this;
        }

        /** Sets the path and query of the Container Security call that verifies tokens. */
        public Builder verifyPath(String verifyPath) {
            this.verifyPath = verifyPath;
            return this;
        }

        /** Sets the HTTP proxy that carries every request of the session; {@code null} uses {@code HTTPS_PROXY}. */
        public Builder proxy(ProxySettings proxy) {
            this.proxy = proxy;
            return this;
        }

        /**
         * Sets the audit log: one JSON line per use of the token (login,
         * verification, {@code /auth} exchange), never the token itself. The
         * file is created with mode 0600 when the session opens, and its
         * directory must exist. {@code null} records nothing.
         */
        public Builder auditLog(Path auditLog) {
            this.auditLog = auditLog;
            return this;
        }

        /**
         * Sets the environment label (such as {@code prod}): 1 to 64
         * characters without whitespace. It labels the audit records, and it
         * is the policy's environment in {@link QualysSession#check}, over a
         * policy file's {@code environment}.
         */
        public Builder environment(String environment) {
            this.environment = environment;
            return this;
        }

        /**
         * Sets the run that the audit records name, such as a Jenkins
         * build's ID and URL. Without it (both {@code null}), the core reads
         * the runner's variables ({@code BUILD_ID}, {@code BUILD_URL} and
         * those of other CI systems) from this process's environment.
         */
        public Builder run(String runId, String runUrl) {
            this.runId = runId;
            this.runUrl = runUrl;
            return this;
        }

        public SessionOptions build() {
            return new SessionOptions(this);
        }

        private static Duration positive(Duration duration, String what) {
            Objects.requireNonNull(duration, what);
            if (duration.isNegative() || duration.isZero() || duration.toMillis() == 0) {
                throw new IllegalArgumentException(
                        "the " + what + " is " + duration + "; pass at least one millisecond");
            }
            return duration;
        }
    }
}
