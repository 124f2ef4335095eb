package io.qualysciauth.bridge;

/**
 * The native methods of the bridge, implemented in Rust under {@code src/jni/}.
 *
 * <p>Callers run {@link NativeLibrary#load()} first. Every method throws the
 * {@link QualysAuthException} subclass of the core's error code, or an
 * {@link InternalException} for a panic. Methods taking a {@code char[]}
 * secret copy it and leave clearing it to the caller; methods returning one
 * hand over a fresh array that the caller clears.
 */
final class NativeBridge {
    private NativeBridge() {
    }

    /**
     * Opens a session and returns its handle. A {@code null} username means
     * {@code secret} is an API token; negative durations and attempts keep
     * the core's defaults. With an audit log path, the file is opened now;
     * {@code null} run id and URL are read from the runner's variables.
     */
    static native long open(String pod, String gatewayUrl, String platform, String backend, String caPem,
            long connectTimeoutMillis, long requestTimeoutMillis, int maxAttempts, long deadlineMillis,
            String verifyPath, String username, char[] secret, String proxyHost, int proxyPort,
            String proxyUsername, char[] proxyPassword, String auditLogPath, String environment, String runId,
            String runUrl) throws QualysAuthException;

    /** Frees a session; the handle must not be used afterwards. */
    static native void close(long handle) throws QualysAuthException;

    static native LoginSummary login(long handle) throws QualysAuthException;

    static native void verify(long handle) throws QualysAuthException;

    static native char[] bearerToken(long handle) throws QualysAuthException;

    static native char[][] maskForms(long handle) throws QualysAuthException;

    /**
     * Verifies the session's token and judges it against the policy.
     * Negative days and {@code null} values keep the layer below.
     */
    static native PolicyReport check(long handle, String policyFile, String policyText, String policyOrigin,
            int warnAfterDays, int failAfterDays,
            String[] requiredScopes, String extraScopes, String sharedToken, String tokenCreated,
            String tokenSource) throws QualysAuthException;

    /** Verifies registry credentials and stores them; a {@code null} directory means the process's default. */
    static native RegistryLoginReport registryLogin(String reference, String username, char[] password,
            String credentialSource, String platform, String dockerConfigDir, boolean allowInsecureLoopback,
            String caPem, long connectTimeoutMillis, long requestTimeoutMillis, int maxAttempts,
            long deadlineMillis, String proxyHost, int proxyPort, String proxyUsername, char[] proxyPassword)
            throws QualysAuthException;

    /** Returns the base URL of the registry API that a login to {@code reference} calls. */
    static native String registryApiUrl(String reference, boolean allowInsecureLoopback) throws QualysAuthException;

    /** Removes a registry's stored credentials. */
    static native RegistryLogoutReport registryLogout(String reference, String dockerConfigDir,
            boolean allowInsecureLoopback) throws QualysAuthException;

    static native char[][] maskFormsOf(char[] secret, String username) throws QualysAuthException;

    static native TokenInspection inspect(char[] token) throws QualysAuthException;

    /** Returns {@code {url, pod}}, with an empty pod for a gateway that is no known POD's. */
    static native String[] resolveGateway(String pod, String gatewayUrl) throws QualysAuthException;

    static native String credentialRule() throws QualysAuthException;

    static native String[] podNames() throws QualysAuthException;

    static native String version() throws QualysAuthException;

    /** Returns every core error code as {@code "<number> <name>"}. */
    static native String[] errorCodes() throws QualysAuthException;

    /** Throws the exception of a core error of {@code code} built from sample values, for tests. */
    static native void throwSampleError(int code, String detail) throws QualysAuthException;

    /** Panics inside the native library, for tests of the panic path. */
    static native void panicForTest(String message) throws QualysAuthException;
}
