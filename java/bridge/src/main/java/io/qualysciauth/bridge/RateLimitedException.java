package io.qualysciauth.bridge;

/** The gateway kept answering 429 Too Many Requests within the retry budget. */
public class RateLimitedException extends ApiException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public RateLimitedException(String message) {
        super(ErrorCode.RATE_LIMITED, message);
    }
}
