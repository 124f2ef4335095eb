package io.qualysciauth.bridge;

/** A bug in the native library, a panic included; the message asks for a report. */
public class InternalException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public InternalException(String message) {
        super(ErrorCode.INTERNAL, message);
    }
}
