package io.qualysciauth.bridge.binding;

import io.qualysciauth.bridge.Credential;
import io.qualysciauth.bridge.CredentialNotAllowedException;
import io.qualysciauth.bridge.MissingCredentialException;
import io.qualysciauth.bridge.QualysAuth;
import io.qualysciauth.bridge.QualysAuthException;
import io.qualysciauth.bridge.Secrets;
import java.util.Objects;

/**
 * A credential as a CI host found it, before the rule is applied: the host
 * adapts its own credential types to this, and {@link QualysAuthBinding}
 * decides what each kind means.
 *
 * <p>The secret array is the caller's and is cleared when the source is
 * turned into a {@link Credential} and used, or when {@link #close()} runs.
 * {@link #toString()} shows no secret.
 */
public final class CredentialSource implements AutoCloseable {
    /** The kinds of credential a host can hand over. */
    public enum Kind {
        /** A user name and password: the CICD Sensor backend. */
        USERNAME_PASSWORD,
        /** A single secret string: an API access token for the QScanner backend. */
        SECRET_TEXT,
        /** Any other credential type, which the rule does not allow. */
        UNSUPPORTED,
        /** No credential with the requested ID was found. */
        NOT_FOUND
    }

    private final String id;
    private final Kind kind;
    private final String username;
    private final char[] secret;
    private final String typeName;

    private CredentialSource(String id, Kind kind, String username, char[] secret, String typeName) {
        this.id = Objects.requireNonNull(id, "id");
        this.kind = kind;
        this.username = username;
        this.secret = secret;
        this.typeName = typeName;
    }

    /** A "Username with password" credential. */
    public static CredentialSource usernamePassword(String id, String username, char[] password) {
        return new CredentialSource(id, Kind.USERNAME_PASSWORD, Objects.requireNonNull(username, "username"),
                Objects.requireNonNull(password, "password"), "Username with password");
    }

    /** A "Secret text" credential. */
    public static CredentialSource secretText(String id, char[] secret) {
        return new CredentialSource(id, Kind.SECRET_TEXT, null, Objects.requireNonNull(secret, "secret"),
                "Secret text");
    }

    /** A credential of another type, named as the host's UI names it (such as "SSH Username with private key"). */
    public static CredentialSource unsupported(String id, String typeName) {
        return new CredentialSource(id, Kind.UNSUPPORTED, null, null, Objects.requireNonNull(typeName, "typeName"));
    }

    /** No credential with this ID exists where the host looked. */
    public static CredentialSource notFound(String id) {
        return new CredentialSource(id, Kind.NOT_FOUND, null, null, null);
    }

    public String id() {
        return id;
    }

    public Kind kind() {
        return kind;
    }

    /** Returns the user name of a "Username with password" credential, else {@code null}. */
    String username() {
        return username;
    }

    /** Returns the secret array itself, shared with the caller, or {@code null} for a source without one. */
    char[] secret() {
        return secret;
    }

    /**
     * Returns the bridge credential for this source, sharing its secret array.
     *
     * @throws MissingCredentialException when no credential was found
     * @throws CredentialNotAllowedException for any kind the rule does not
     *     allow; the message quotes the rule
     */
    public Credential toCredential() throws QualysAuthException {
        return switch (kind) {
            case USERNAME_PASSWORD -> Credential.usernamePassword(username, secret);
            case SECRET_TEXT -> Credential.apiToken(secret);
            case UNSUPPORTED, NOT_FOUND -> throw rejection();
        };
    }

    /** Returns the exception for a source the rule does not allow, or that was not found. */
    QualysAuthException rejection() throws QualysAuthException {
        if (kind == Kind.NOT_FOUND) {
            return new MissingCredentialException("no credential with ID '" + id
                    + "' was found for this build (its folders and the global store included); add a "
                    + "\"Secret text\" credential with an API access token, or a \"Username with password\" "
                    + "credential for the CICD Sensor, with this ID");
        }
        return new CredentialNotAllowedException("the credential '" + id + "' is of the type \"" + typeName
                + "\", which cannot be used: " + QualysAuth.credentialRule()
                + ". Use a \"Secret text\" credential holding an API access token, or a "
                + "\"Username with password\" credential for the CICD Sensor");
    }

    /**
     * Returns the exception for a source that cannot log in to a container
     * registry: anything but a "Username with password" credential.
     */
    QualysAuthException registryRejection(String registry) {
        if (kind == Kind.NOT_FOUND) {
            return new MissingCredentialException("no credential with ID '" + id + "' was found for this build "
                    + "(its folders and the global store included); add a \"Username with password\" credential "
                    + "for the registry " + registry + " with this ID");
        }
        return new CredentialNotAllowedException("the registry credential '" + id + "' is of the type \""
                + typeName + "\", but a registry login needs a user name and password; use a \"Username with "
                + "password\" credential (the password may be an access token)");
    }

    /** Clears the secret. */
    @Override
    public void close() {
        Secrets.clear(secret);
    }

    @Override
    public String toString() {
        return "CredentialSource{id=" + id + ", kind=" + kind
                + (username == null ? "" : ", username=" + username)
                + (secret == null ? "" : ", secret=[REDACTED]") + "}";
    }
}
