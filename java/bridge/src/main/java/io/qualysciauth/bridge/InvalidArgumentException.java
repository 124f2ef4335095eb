package io.qualysciauth.bridge;

/** A value given by the caller is malformed: a POD, a gateway URL, a token's format or an option. */
public class InvalidArgumentException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public InvalidArgumentException(String message) {
        super(ErrorCode.INVALID_ARGUMENT, message);
    }
}
