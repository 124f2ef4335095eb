package io.qualysciauth.bridge;

/** The gateway rejected the user name or password. Never retried: repeated failed logins lock Qualys accounts. */
public class AuthenticationFailedException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public AuthenticationFailedException(String message) {
        super(ErrorCode.AUTHENTICATION_FAILED, message);
    }
}
