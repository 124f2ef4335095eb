package io.qualysciauth.bridge;

/** The gateway rejected the bearer token (HTTP 401): it is invalid, expired or revoked. */
public class TokenRejectedException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public TokenRejectedException(String message) {
        super(ErrorCode.TOKEN_REJECTED, message);
    }
}
