package io.qualysciauth.bridge;

import java.util.Objects;

/**
 * Base of every failure the bridge reports, with the core's stable {@link ErrorCode}.
 *
 * <p>Each code has its own subclass, thrown by the native library with the
 * core's message. Messages name the gateway, POD, user name or HTTP status
 * involved and never contain a token or password.
 */
public class QualysAuthException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    /** Creates an exception of {@code code} with a message that contains no secret. */
    protected QualysAuthException(ErrorCode code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** Returns the stable kind of this failure. */
    public ErrorCode code() {
        return code;
    }
}
