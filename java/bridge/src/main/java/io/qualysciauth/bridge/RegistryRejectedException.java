package io.qualysciauth.bridge;

/** A container registry or its token service rejected the user name and password. */
public class RegistryRejectedException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public RegistryRejectedException(String message) {
        super(ErrorCode.REGISTRY_REJECTED, message);
    }
}
