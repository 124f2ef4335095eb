package io.qualysciauth.bridge;

/** The token lacks a permission, such as the Container Security scope. */
public class PermissionDeniedException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public PermissionDeniedException(String message) {
        super(ErrorCode.PERMISSION_DENIED, message);
    }
}
