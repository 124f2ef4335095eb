package io.qualysciauth.bridge;

/**
 * The result of one policy check, and of a whole {@link PolicyReport}, ordered
 * from best to worst as in the core. A report's status is only ever
 * {@link #PASS}, {@link #WARN} or {@link #FAIL}.
 */
public enum CheckStatus {
    /** Not run, such as the verification of an offline check. */
    SKIPPED("skipped"),
    /** The facts the check needs are not available; reported, not guessed. */
    UNKNOWN("unknown"),
    PASS("pass"),
    /** A violation the policy only reports. */
    WARN("warn"),
    /** A violation the policy fails on. */
    FAIL("fail");

    private final String wireName;

    CheckStatus(String wireName) {
        this.wireName = wireName;
    }

    /** Returns the lowercase name of the CLI's JSON output, such as {@code warn}. */
    public String wireName() {
        return wireName;
    }

    static CheckStatus fromWireName(String name) {
        for (CheckStatus status : values()) {
            if (status.wireName.equals(name)) {
                return status;
            }
        }
        throw new IllegalArgumentException("unknown check status '" + name + "' from the native library");
    }
}
