package io.qualysciauth.bridge;

import java.util.Optional;

/**
 * The stable error kinds of the native core, with the numbers and names that
 * the C ABI and the CLI's JSON output use. A test checks this table against
 * the native library's own, so the two cannot drift apart.
 */
public enum ErrorCode {
    /** A value given by the caller is malformed (POD, URL, token format, option). */
    INVALID_ARGUMENT(1, "invalid_argument"),
    /** The credential kind is not allowed for the backend or platform. */
    CREDENTIAL_NOT_ALLOWED(2, "credential_not_allowed"),
    /** No credential was found where it was looked for, or it is empty. */
    MISSING_CREDENTIAL(3, "missing_credential"),
    /** The gateway rejected the user name or password (HTTP 401 on {@code /auth}). */
    AUTHENTICATION_FAILED(10, "authentication_failed"),
    /** The gateway rejected the bearer token (HTTP 401): invalid, expired or revoked. */
    TOKEN_REJECTED(11, "token_rejected"),
    /** The token's own {@code exp} claim lies in the past. */
    TOKEN_EXPIRED(12, "token_expired"),
    /** The token lacks a permission, such as the Container Security scope (HTTP 403). */
    PERMISSION_DENIED(13, "permission_denied"),
    /** A container registry or its token service rejected the user name and password (HTTP 401 or 403). */
    REGISTRY_REJECTED(14, "registry_rejected"),
    /** The gateway returned an unexpected status or body. */
    API_ERROR(20, "api_error"),
    /** The gateway kept returning 429 Too Many Requests. */
    RATE_LIMITED(21, "rate_limited"),
    /** The gateway could not be reached. */
    NETWORK_ERROR(30, "network_error"),
    /** The TLS handshake failed, usually an untrusted certificate. */
    TLS_ERROR(31, "tls_error"),
    /** The overall deadline or a request timeout passed. */
    TIMEOUT(32, "timeout"),
    /** A local file could not be read or written. */
    IO(40, "io"),
    /** The Docker client configuration file is not valid; it was left unchanged. */
    CONFIG_MALFORMED(41, "config_malformed"),
    /** A Docker credential helper failed to store, get or erase a credential. */
    CREDENTIAL_HELPER_FAILED(42, "credential_helper_failed"),
    /** A bug: a state the native code does not expect. */
    INTERNAL(50, "internal"),
    /** The token violates a token policy rule whose severity is fail. */
    POLICY_FAILED(60, "policy_failed");

    private final int number;
    private final String wireName;

    ErrorCode(int number, String wireName) {
        this.number = number;
        this.wireName = wireName;
    }

    /** Returns the stable number, as in the C ABI. */
    public int number() {
        return number;
    }

    /** Returns the snake_case name, as in the CLI's JSON output. */
    public String wireName() {
        return wireName;
    }

    /** Returns the code with this number, or empty for a number this version does not know. */
    public static Optional<ErrorCode> fromNumber(int number) {
        for (ErrorCode code : values()) {
            if (code.number == number) {
                return Optional.of(code);
            }
        }
        return Optional.empty();
    }
}
