package io.qualysciauth.bridge;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a login reports: the fields of the CLI's {@code login --format json},
 * with the same meanings. It holds a token fingerprint, never the token.
 */
public final class LoginSummary {
    private final int schemaVersion;
    private final String gateway;
    private final String pod;
    private final Backend backend;
    private final String platform;
    private final String credential;
    private final String user;
    private final String tokenKind;
    private final String tokenFingerprint;
    private final String issuedAt;
    private final String expiresAt;
    private final Long expiresInSeconds;
    private final List<String> scopes;
    private final boolean verified;

    /** Called by the native library; the argument order is part of the JNI contract. */
    LoginSummary(int schemaVersion, String gateway, String pod, String backend, String platform,
            String credential, String user, String tokenKind, String tokenFingerprint, String issuedAt,
            String expiresAt, Long expiresInSeconds, String[] scopes, boolean verified) {
        this.schemaVersion = schemaVersion;
        this.gateway = gateway;
        this.pod = pod;
        this.backend = Backend.fromWireName(backend);
        this.platform = platform;
        this.credential = credential;
        this.user = user;
        this.tokenKind = tokenKind;
        this.tokenFingerprint = tokenFingerprint;
        this.issuedAt = issuedAt;
        this.expiresAt = expiresAt;
        this.expiresInSeconds = expiresInSeconds;
        this.scopes = scopes == null ? null : List.of(scopes);
        this.verified = verified;
    }

    /** Returns the version of this schema; fields are only ever added. */
    public int schemaVersion() {
        return schemaVersion;
    }

    /** Returns the gateway's base URL. */
    public String gateway() {
        return gateway;
    }

    /** Returns the POD name, or empty for a gateway that is no known POD's. */
    public Optional<String> pod() {
        return Optional.ofNullable(pod);
    }

    /** Returns the backend the credential was used with. */
    public Backend backend() {
        return backend;
    }

    /** Returns the platform name, such as {@code jenkins}. */
    public String platform() {
        return platform;
    }

    /** Returns the credential kind: {@code api-token} or {@code username-password}. */
    public String credential() {
        return credential;
    }

    /** Returns the token's {@code sub} claim, or the user name of a password credential. */
    public Optional<String> user() {
        return Optional.ofNullable(user);
    }

    /** Returns {@code jwt} or {@code opaque}. */
    public String tokenKind() {
        return tokenKind;
    }

    /** Returns the first 16 hex digits of the bearer token's SHA-256. */
    public String tokenFingerprint() {
        return tokenFingerprint;
    }

    /** Returns the issue time in RFC 3339 (UTC), when the token is a JWT that has one. */
    public Optional<String> issuedAt() {
        return Optional.ofNullable(issuedAt);
    }

    /** Returns the expiry time in RFC 3339 (UTC), when the token is a JWT that has one. */
    public Optional<String> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    /** Returns the seconds left until expiry at the time of the login, when known. */
    public OptionalLong expiresInSeconds() {
        return expiresInSeconds == null ? OptionalLong.empty() : OptionalLong.of(expiresInSeconds);
    }

    /** Returns the token's {@code modulesAllowed}, when it is a JWT that carries them. */
    public Optional<List<String>> scopes() {
        return Optional.ofNullable(scopes);
    }

    /** Returns whether the gateway accepted the token on a Container Security call. */
    public boolean verified() {
        return verified;
    }

    @Override
    public String toString() {
        return "LoginSummary{gateway=" + gateway + ", pod=" + pod + ", backend=" + backend.wireName()
                + ", platform=" + platform + ", credential=" + credential + ", user=" + user
                + ", tokenKind=" + tokenKind + ", tokenFingerprint=" + tokenFingerprint
                + ", expiresAt=" + expiresAt + ", scopes=" + scopes + ", verified=" + verified + "}";
    }
}
