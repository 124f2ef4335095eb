package io.qualysciauth.bridge;

import java.util.Objects;
import java.util.Optional;

/**
 * A Qualys credential: an API access token (QScanner backend) or a user name
 * and password (CICD Sensor backend, on Jenkins only).
 *
 * <p>A credential keeps the caller's {@code char[]} without copying it, and
 * {@link QualysSession#open} clears that array once it has passed it to the
 * native library, whether the call succeeds or fails. A credential is
 * therefore good for one {@code open}. {@link #close()} clears the array of a
 * credential that was never used. {@link #toString()} shows no secret.
 */
public final class Credential implements AutoCloseable {
    private final String username;
    private final char[] secret;

    private Credential(String username, char[] secret) {
        this.username = username;
        this.secret = Objects.requireNonNull(secret, "secret");
    }

    /** Returns an API access token credential; the array is cleared when the credential is used or closed. */
    public static Credential apiToken(char[] token) {
        return new Credential(null, token);
    }

    /** Returns a user name and password credential; the array is cleared when the credential is used or closed. */
    public static Credential usernamePassword(String username, char[] password) {
        return new Credential(Objects.requireNonNull(username, "username"), password);
    }

    /** Returns the user name of a password credential, or empty for an API token. */
    public Optional<String> username() {
        return Optional.ofNullable(username);
    }

    /** Returns the backend this kind of credential is for. */
    public Backend backend() {
        return username == null ? Backend.QSCANNER : Backend.CICD_SENSOR;
    }

    /** Returns the secret array itself, for the native call. */
    char[] secret() {
        return secret;
    }

    /** Clears the secret. */
    @Override
    public void close() {
        Secrets.clear(secret);
    }

    @Override
    public String toString() {
        return username == null
                ? "Credential{apiToken=[REDACTED]}"
                : "Credential{username=" + username + ", password=[REDACTED]}";
    }
}
