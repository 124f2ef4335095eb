package io.qualysciauth.bridge;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The token policy for {@link QualysSession#check}, as layers over the core's
 * defaults (warning from 75 days, failure past 90 days, the {@code CS} scope
 * required, extra scopes and shared tokens only warned about): the policy
 * file (or its text) when one is given, then the values set here. The environment label is
 * the session's ({@link SessionOptions.Builder#environment}).
 *
 * <p>Unlike the CLI, the check reads no {@code QUALYS_*} policy variables and
 * looks for no {@code qualys-ci-auth.toml} in the working directory: a host
 * such as a Jenkins controller serves many builds from one process, so it
 * passes each build's settings here. Immutable; build one with {@link #builder()}.
 */
public final class PolicyOptions {
    private final Path policyFile;
    private final String policyText;
    private final String policyOrigin;
    private final Integer warnAfterDays;
    private final Integer failAfterDays;
    private final List<String> requiredScopes;
    private final Severity extraScopes;
    private final Severity sharedToken;
    private final LocalDate tokenCreated;
    private final String tokenSource;

    private PolicyOptions(Builder builder) {
        this.policyFile = builder.policyFile;
        this.policyText = builder.policyText;
        this.policyOrigin = builder.policyOrigin;
        this.warnAfterDays = builder.warnAfterDays;
        this.failAfterDays = builder.failAfterDays;
        this.requiredScopes = builder.requiredScopes;
        this.extraScopes = builder.extraScopes;
        this.sharedToken = builder.sharedToken;
        this.tokenCreated = builder.tokenCreated;
        this.tokenSource = builder.tokenSource;
    }

    /** Returns a builder with nothing set: the core's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns options with nothing set: the core's defaults. */
    public static PolicyOptions defaults() {
        return builder().build();
    }

    public Optional<Path> policyFile() {
        return Optional.ofNullable(policyFile);
    }

    /** Returns the name of the file that {@link Builder#policyText} came from. */
    public Optional<String> policyOrigin() {
        return Optional.ofNullable(policyOrigin);
    }

    PolicyReport checkNative(long handle) throws QualysAuthException {
        return NativeBridge.check(handle, policyFile == null ? null : policyFile.toString(), policyText, policyOrigin,
                warnAfterDays == null ? -1 : warnAfterDays, failAfterDays == null ? -1 : failAfterDays,
                requiredScopes == null ? null : requiredScopes.toArray(new String[0]),
                extraScopes == null ? null : extraScopes.wireName(),
                sharedToken == null ? null : sharedToken.wireName(),
                tokenCreated == null ? null : tokenCreated.toString(), tokenSource);
    }

    @Override
    public String toString() {
        return "PolicyOptions{policyFile=" + policyFile + ", policyOrigin=" + policyOrigin + ", warnAfterDays=" + warnAfterDays + ", failAfterDays="
                + failAfterDays + ", requiredScopes=" + requiredScopes + ", extraScopes=" + extraScopes
                + ", sharedToken=" + sharedToken + ", tokenCreated=" + tokenCreated + ", tokenSource="
                + tokenSource + "}";
    }

    /** Builds {@link PolicyOptions}; the values are checked by the core when the check runs. */
    public static final class Builder {
        private Path policyFile;
        private String policyText;
        private String policyOrigin;
        private Integer warnAfterDays;
        private Integer failAfterDays;
        private List<String> requiredScopes;
        private Severity extraScopes;
        private Severity sharedToken;
        private LocalDate tokenCreated;
        private String tokenSource;

        private Builder() {
        }

        /**
         * Sets the policy file (TOML, the CLI's {@code --policy}); it must
         * exist, and an unknown key in it is an error that names the key.
         */
        public Builder policyFile(Path policyFile) {
            if (policyFile != null && policyText != null) {
                throw new IllegalStateException("a policy text is already set; pass a policy file or a text, not both");
            }
            this.policyFile = policyFile;
            return this;
        }

        /**
         * Sets the policy file's content, read by the caller (from a build
         * workspace on another machine, say); {@code origin} names the file
         * in errors and in the report.
         */
        public Builder policyText(String text, String origin) {
            if (policyFile != null) {
                throw new IllegalStateException("a policy file is already set; pass a policy file or a text, not both");
            }
            this.policyText = Objects.requireNonNull(text, "text");
            this.policyOrigin = Objects.requireNonNull(origin, "origin");
            return this;
        }

        /** Sets the token age in whole days from which a warning is reported. */
        public Builder warnAfterDays(int days) {
            this.warnAfterDays = positive(days, "warning age");
            return this;
        }

        /** Sets the token age in whole days past which the check fails. */
        public Builder failAfterDays(int days) {
            this.failAfterDays = positive(days, "failure age");
            return this;
        }

        /** Sets the scopes ({@code modulesAllowed} entries) the job needs. */
        public Builder requiredScopes(List<String> scopes) {
            this.requiredScopes = List.copyOf(Objects.requireNonNull(scopes, "scopes"));
            return this;
        }

        /** Sets the effect of scopes beyond the required ones. */
        public Builder extraScopes(Severity severity) {
            this.extraScopes = severity;
            return this;
        }

        /** Sets the effect of one token used for several environments. */
        public Builder sharedToken(Severity severity) {
            this.sharedToken = severity;
            return this;
        }

        /** Sets the day the token was created, for a token without an {@code iat} claim (an opaque token). */
        public Builder tokenCreated(LocalDate day) {
            this.tokenCreated = day;
            return this;
        }

        /** Sets where the token came from, such as a Jenkins credential ID; a name, never a value. */
        public Builder tokenSource(String source) {
            this.tokenSource = source;
            return this;
        }

        public PolicyOptions build() {
            return new PolicyOptions(this);
        }

        private static int positive(int days, String what) {
            if (days < 1) {
                throw new IllegalArgumentException("the " + what + " is " + days + " days; pass 1 or more");
            }
            return days;
        }
    }
}
