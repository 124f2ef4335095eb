package io.qualysciauth.bridge.binding;

import io.qualysciauth.bridge.CheckStatus;
import io.qualysciauth.bridge.PolicyCheck;
import io.qualysciauth.bridge.PolicyReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What a token policy report means for a Jenkins build, decided once here so
 * that the plugin only applies it.
 *
 * <p>A failed check fails the step before its block runs, as
 * {@code qualys-ci-auth check} exits 23, because a policy set to {@code fail}
 * is meant to stop the pipeline. Warnings are printed and, by default, change
 * nothing, as {@code check} exits 0 on warnings; with the step option
 * {@code unstableOnWarning: true} they mark the build and the stage UNSTABLE,
 * which Jenkins shows as yellow without stopping the pipeline.
 */
public final class PolicyVerdict {
    /** The effect on the build. */
    public enum Outcome {
        /** The block runs and the build result is left alone. */
        SUCCESS,
        /** The block runs and the build is marked UNSTABLE. */
        UNSTABLE,
        /** The step fails before its block runs. */
        FAILURE
    }

    private final Outcome outcome;
    private final List<String> lines;
    private final String message;

    private PolicyVerdict(Outcome outcome, List<String> lines, String message) {
        this.outcome = outcome;
        this.lines = List.copyOf(lines);
        this.message = message;
    }

    /**
     * Judges {@code report}: FAILURE when a check fails, UNSTABLE when one
     * warns and {@code unstableOnWarning} is set, else SUCCESS.
     */
    public static PolicyVerdict judge(PolicyReport report, boolean unstableOnWarning) {
        Objects.requireNonNull(report, "report");
        List<String> lines = new ArrayList<>();
        for (PolicyCheck check : report.checks()) {
            if (check.status() == CheckStatus.WARN) {
                lines.add("token policy warning (" + check.id() + "): " + check.message());
            } else if (check.status() == CheckStatus.FAIL) {
                lines.add("token policy failure (" + check.id() + "): " + check.message());
            }
        }

        switch (report.status()) {
            case FAIL -> {
                String failed = report.failures().stream()
                        .map(check -> check.id() + ": " + check.message())
                        .collect(Collectors.joining("; "));
                return new PolicyVerdict(Outcome.FAILURE, lines, "the token policy failed: " + failed);
            }
            case WARN -> {
                String warned = report.warnings().stream().map(PolicyCheck::id).collect(Collectors.joining(", "));
                String message = "token policy warnings: " + warned;
                if (unstableOnWarning) {
                    lines.add(message + "; the build is marked UNSTABLE (unstableOnWarning: true)");
                    return new PolicyVerdict(Outcome.UNSTABLE, lines, message);
                }
                lines.add(message + "; the build result is unchanged (set unstableOnWarning: true to mark it UNSTABLE)");
                return new PolicyVerdict(Outcome.SUCCESS, lines, message);
            }
            default -> {
                lines.add("token policy: every check passes or lacks the facts to judge (token fingerprint "
                        + report.tokenFingerprint() + ")");
                return new PolicyVerdict(Outcome.SUCCESS, lines, "token policy passed");
            }
        }
    }

    public Outcome outcome() {
        return outcome;
    }

    /** Returns the lines for the build log: one per warning or failure, then a summary. */
    public List<String> lines() {
        return lines;
    }

    /**
     * Returns one sentence for the build: the failed checks with their
     * messages for FAILURE (the step's error), the warned checks otherwise
     * (the stage's warning). It contains no secret.
     */
    public String message() {
        return message;
    }

    @Override
    public String toString() {
        return "PolicyVerdict{" + outcome + ": " + message + "}";
    }
}
