package io.qualysciauth.bridge;

/** The gateway answered with an unexpected status or body. */
public class ApiException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public ApiException(String message) {
        super(ErrorCode.API_ERROR, message);
    }

    /** Creates the exception for a subclass with its own code. */
    protected ApiException(ErrorCode code, String message) {
        super(code, message);
    }
}
