package io.qualysciauth.bridge;

/** The Qualys backend that receives the credential. */
public enum Backend {
    /** QScanner: an API access token sent as a bearer token. */
    QSCANNER("qscanner"),
    /** CICD Sensor: a user name and password exchanged for a JWT at {@code POST /auth}. */
    CICD_SENSOR("cicd-sensor");

    private final String wireName;

    Backend(String wireName) {
        this.wireName = wireName;
    }

    /** Returns the name the core and the CLI use, such as {@code cicd-sensor}. */
    public String wireName() {
        return wireName;
    }

    /** Returns the backend with this wire name. */
    static Backend fromWireName(String name) {
        for (Backend backend : values()) {
            if (backend.wireName.equals(name)) {
                return backend;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + name + "'");
    }
}
