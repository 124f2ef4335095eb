package io.qualysciauth.bridge;

/** The effect of a policy violation: reported as a warning, or failing the check. */
public enum Severity {
    WARN("warn"),
    FAIL("fail");

    private final String wireName;

    Severity(String wireName) {
        this.wireName = wireName;
    }

    /** Returns the name a policy file uses: {@code warn} or {@code fail}. */
    public String wireName() {
        return wireName;
    }
}
