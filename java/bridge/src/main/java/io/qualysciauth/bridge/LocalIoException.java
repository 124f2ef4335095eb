package io.qualysciauth.bridge;

/** A local file could not be read or written. */
public class LocalIoException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public LocalIoException(String message) {
        super(ErrorCode.IO, message);
    }
}
