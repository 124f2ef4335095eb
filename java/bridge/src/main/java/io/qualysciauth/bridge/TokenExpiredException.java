package io.qualysciauth.bridge;

/** The token's own expiry time has passed, found without asking the gateway. */
public class TokenExpiredException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public TokenExpiredException(String message) {
        super(ErrorCode.TOKEN_EXPIRED, message);
    }
}
