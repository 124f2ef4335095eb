package io.qualysciauth.bridge;

/** The gateway could not be reached within the retry budget. */
public class NetworkException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public NetworkException(String message) {
        super(ErrorCode.NETWORK_ERROR, message);
    }

    /** Creates the exception for a subclass with its own code. */
    protected NetworkException(ErrorCode code, String message) {
        super(code, message);
    }
}
