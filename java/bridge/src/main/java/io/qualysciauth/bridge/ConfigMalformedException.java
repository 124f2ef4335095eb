package io.qualysciauth.bridge;

/** The Docker client configuration file is not valid; it was left unchanged. */
public class ConfigMalformedException extends QualysAuthException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception; the native library and the binding pass messages without secrets. */
    public ConfigMalformedException(String message) {
        super(ErrorCode.CONFIG_MALFORMED, message);
    }
}
