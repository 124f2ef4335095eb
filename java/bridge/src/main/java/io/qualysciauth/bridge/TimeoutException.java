package io.qualysciauth.bridge;

/** A request timed out or the overall deadline passed. */
public class TimeoutException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public TimeoutException(String message) {
        super(ErrorCode.TIMEOUT, message);
    }
}
