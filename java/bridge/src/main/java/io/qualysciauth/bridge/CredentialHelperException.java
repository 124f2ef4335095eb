package io.qualysciauth.bridge;

/** A Docker credential helper failed to store, get or erase a credential. */
public class CredentialHelperException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public CredentialHelperException(String message) {
        super(ErrorCode.CREDENTIAL_HELPER_FAILED, message);
    }
}
