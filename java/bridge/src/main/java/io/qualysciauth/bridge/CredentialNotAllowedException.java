package io.qualysciauth.bridge;

/** The credential kind does not fit the backend or platform; the message quotes the rule. */
public class CredentialNotAllowedException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public CredentialNotAllowedException(String message) {
        super(ErrorCode.CREDENTIAL_NOT_ALLOWED, message);
    }
}
