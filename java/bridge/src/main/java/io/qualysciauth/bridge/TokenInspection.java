package io.qualysciauth.bridge;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What can be read from an access token without asking the gateway. The
 * signature is not checked (only the gateway has the key), so nothing here
 * proves the token valid. It holds a fingerprint, never the token.
 */
public final class TokenInspection {
    private final String tokenKind;
    private final String fingerprint;
    private final String user;
    private final String issuer;
    private final String credentialType;
    private final String userType;
    private final Long issuedAt;
    private final Long expiresAt;
    private final List<String> scopes;
    private final Boolean containerSecurity;

    /** Called by the native library; the argument order is part of the JNI contract. */
    TokenInspection(String tokenKind, String fingerprint, String user, String issuer, String credentialType,
            String userType, Long issuedAt, Long expiresAt, String[] scopes, Boolean containerSecurity) {
        this.tokenKind = tokenKind;
        this.fingerprint = fingerprint;
        this.user = user;
        this.issuer = issuer;
        this.credentialType = credentialType;
        this.userType = userType;
        this.issuedAt = issuedAt;
        this.expiresAt = expiresAt;
        this.scopes = scopes == null ? null : List.of(scopes);
        this.containerSecurity = containerSecurity;
    }

    /** Returns {@code jwt} or {@code opaque}; an opaque API token is valid, only its details are unknown. */
    public String tokenKind() {
        return tokenKind;
    }

    /** Returns the first 16 hex digits of the token's SHA-256. */
    public String fingerprint() {
        return fingerprint;
    }

    /** Returns the {@code sub} claim. */
    public Optional<String> user() {
        return Optional.ofNullable(user);
    }

    /** Returns the {@code iss} claim. */
    public Optional<String> issuer() {
        return Optional.ofNullable(issuer);
    }

    /** Returns the {@code credentialType} claim, such as {@code UsernamePasswordCredential}. */
    public Optional<String> credentialType() {
        return Optional.ofNullable(credentialType);
    }

    /** Returns the {@code usertype} claim. */
    public Optional<String> userType() {
        return Optional.ofNullable(userType);
    }

    /** Returns the {@code iat} claim. */
    public Optional<Instant> issuedAt() {
        return Optional.ofNullable(issuedAt).map(Instant::ofEpochSecond);
    }

    /** Returns the {@code exp} claim. */
    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt).map(Instant::ofEpochSecond);
    }

    /** Returns the {@code modulesAllowed} claim. */
    public Optional<List<String>> scopes() {
        return Optional.ofNullable(scopes);
    }

    /** Returns whether the scopes include Container Security ({@code CS}), when the claim is present. */
    public Optional<Boolean> containerSecurity() {
        return Optional.ofNullable(containerSecurity);
    }

    @Override
    public String toString() {
        return "TokenInspection{tokenKind=" + tokenKind + ", fingerprint=" + fingerprint + ", user=" + user
                + ", credentialType=" + credentialType + ", issuedAt=" + issuedAt().orElse(null)
                + ", expiresAt=" + expiresAt().orElse(null) + ", scopes=" + scopes
                + ", containerSecurity=" + containerSecurity + "}";
    }
}
