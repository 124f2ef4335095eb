package io.qualysciauth.bridge;

/** No credential was found, or the one given is empty. */
public class MissingCredentialException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public MissingCredentialException(String message) {
        super(ErrorCode.MISSING_CREDENTIAL, message);
    }
}
