package io.qualysciauth.bridge;

/** The token violates the token policy (age, scopes, one token per environment) where the policy says to fail. */
public class PolicyFailedException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public PolicyFailedException(String message) {
        super(ErrorCode.POLICY_FAILED, message);
    }
}
