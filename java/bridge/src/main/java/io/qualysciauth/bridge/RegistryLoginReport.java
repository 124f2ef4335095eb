package io.qualysciauth.bridge;

import java.util.Optional;

/**
 * The outcome of a registry login: the fields of the CLI's
 * {@code registry login --format json}, with the same meanings. It names the
 * user and the credential's origin, never the password.
 */
public final class RegistryLoginReport {
    private final int schemaVersion;
    private final String registry;
    private final String configKey;
    private final String repository;
    private final String status;
    private final String reason;
    private final String username;
    private final String credentialSource;
    private final String verification;
    private final String storedIn;
    private final String configPath;
    private final String credentialHelper;

    /** Called by the native library; the argument order is part of the JNI contract. */
    RegistryLoginReport(int schemaVersion, String registry, String configKey, String repository, String status,
            String reason, String username, String credentialSource, String verification, String storedIn,
            String configPath, String credentialHelper) {
        this.schemaVersion = schemaVersion;
        this.registry = registry;
        this.configKey = configKey;
        this.repository = repository;
        this.status = status;
        this.reason = reason;
        this.username = username;
        this.credentialSource = credentialSource;
        this.verification = verification;
        this.storedIn = storedIn;
        this.configPath = configPath;
        this.credentialHelper = credentialHelper;
    }

    public int schemaVersion() {
        return schemaVersion;
    }

    /** Returns the normalized registry, such as {@code ghcr.io} or {@code docker.io}. */
    public String registry() {
        return registry;
    }

    /** Returns the key of the registry's entry under {@code auths} in {@code config.json}. */
    public String configKey() {
        return configKey;
    }

    /** Returns the repository, when the reference named an image. */
    public Optional<String> repository() {
        return Optional.ofNullable(repository);
    }

    /** Returns {@code logged-in}, or {@code skipped} when nothing was stored (see {@link #reason()}). */
    public String status() {
        return status;
    }

    /** Returns whether the credentials were verified and stored. */
    public boolean loggedIn() {
        return "logged-in".equals(status);
    }

    public Optional<String> reason() {
        return Optional.ofNullable(reason);
    }

    public Optional<String> username() {
        return Optional.ofNullable(username);
    }

    public Optional<String> credentialSource() {
        return Optional.ofNullable(credentialSource);
    }

    /** Returns {@code basic}, {@code bearer} or {@code not-required}: how the registry accepted the credentials. */
    public Optional<String> verification() {
        return Optional.ofNullable(verification);
    }

    /** Returns {@code config-file} or {@code credential-helper}. */
    public Optional<String> storedIn() {
        return Optional.ofNullable(storedIn);
    }

    /** Returns the path of {@code config.json}. */
    public String configPath() {
        return configPath;
    }

    /** Returns the credential helper that holds the secret, when one does. */
    public Optional<String> credentialHelper() {
        return Optional.ofNullable(credentialHelper);
    }

    @Override
    public String toString() {
        return "RegistryLoginReport{registry=" + registry + ", status=" + status + ", username=" + username
                + ", verification=" + verification + ", storedIn=" + storedIn + ", configPath=" + configPath + "}";
    }
}
