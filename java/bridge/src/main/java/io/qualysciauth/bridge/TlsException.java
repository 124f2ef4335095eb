package io.qualysciauth.bridge;

/** The TLS handshake with the gateway failed, usually on an untrusted certificate. */
public class TlsException extends NetworkException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public TlsException(String message) {
        super(ErrorCode.TLS_ERROR, message);
    }
}
