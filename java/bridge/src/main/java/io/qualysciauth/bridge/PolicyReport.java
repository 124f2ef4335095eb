package io.qualysciauth.bridge;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The token policy's verdict on a session's token, from
 * {@link QualysSession#check}: the fields of the CLI's {@code check --format json},
 * with the same meanings. It holds a token fingerprint, never the token.
 */
public final class PolicyReport {
    private final int schemaVersion;
    private final CheckStatus status;
    private final String environment;
    private final String tokenKind;
    private final String tokenFingerprint;
    private final String tokenSource;
    private final List<PolicyCheck> checks;
    private final int exitCode;
    private final String policyFile;
    private final String json;

    /** Called by the native library; the argument order is part of the JNI contract. */
    PolicyReport(int schemaVersion, String status, String environment, String tokenKind, String tokenFingerprint,
            String tokenSource, String[] checkIds, String[] checkStatuses, String[] checkMessages, int exitCode,
            String policyFile, String json) {
        if (checkIds.length != checkStatuses.length || checkIds.length != checkMessages.length) {
            throw new IllegalArgumentException("the native library passed check arrays of different lengths");
        }
        this.schemaVersion = schemaVersion;
        this.status = CheckStatus.fromWireName(status);
        this.environment = environment;
        this.tokenKind = tokenKind;
        this.tokenFingerprint = tokenFingerprint;
        this.tokenSource = tokenSource;
        List<PolicyCheck> list = new ArrayList<>(checkIds.length);
        for (int i = 0; i < checkIds.length; i++) {
            list.add(new PolicyCheck(checkIds[i], CheckStatus.fromWireName(checkStatuses[i]), checkMessages[i]));
        }
        this.checks = List.copyOf(list);
        this.exitCode = exitCode;
        this.policyFile = policyFile;
        this.json = json;
    }

    /** Returns the version of this schema; fields are only ever added. */
    public int schemaVersion() {
        return schemaVersion;
    }

    /** Returns the worst status of the checks: {@link CheckStatus#PASS}, {@link CheckStatus#WARN} or {@link CheckStatus#FAIL}. */
    public CheckStatus status() {
        return status;
    }

    /** Returns the environment label the policy applied, if any. */
    public Optional<String> environment() {
        return Optional.ofNullable(environment);
    }

    /** Returns {@code jwt} or {@code opaque}. */
    public String tokenKind() {
        return tokenKind;
    }

    /** Returns the first 16 hex digits of the token's SHA-256, as in the audit log. */
    public String tokenFingerprint() {
        return tokenFingerprint;
    }

    /** Returns where the token came from (such as a credential ID), as the caller named it. */
    public Optional<String> tokenSource() {
        return Optional.ofNullable(tokenSource);
    }

    /** Returns every check, in the core's order. */
    public List<PolicyCheck> checks() {
        return checks;
    }

    /** Returns the check with {@code id}, such as {@code rotation}. */
    public Optional<PolicyCheck> check(String id) {
        return checks.stream().filter(check -> check.id().equals(id)).findFirst();
    }

    /** Returns the checks that warn. */
    public List<PolicyCheck> warnings() {
        return checks.stream().filter(check -> check.status() == CheckStatus.WARN).toList();
    }

    /** Returns the checks that fail. */
    public List<PolicyCheck> failures() {
        return checks.stream().filter(check -> check.status() == CheckStatus.FAIL).toList();
    }

    /**
     * Returns the exit code {@code qualys-ci-auth check} would end with: 0 for
     * pass and warnings, 23 when a check fails, or the verification error's
     * code (22 for an expired or revoked token, 31 for a network error).
     */
    public int exitCode() {
        return exitCode;
    }

    /** Returns the policy file that was applied, if any. */
    public Optional<String> policyFile() {
        return Optional.ofNullable(policyFile);
    }

    /** Returns the report as the JSON object of {@code check --format json}, with every check's details. */
    public String toJson() {
        return json;
    }

    @Override
    public String toString() {
        return "PolicyReport{status=" + status.wireName() + ", environment=" + environment + ", tokenFingerprint="
                + tokenFingerprint + ", checks=" + checks + "}";
    }
}
