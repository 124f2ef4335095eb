package io.qualysciauth.bridge.binding;

import io.qualysciauth.bridge.LoginSummary;
import io.qualysciauth.bridge.PolicyReport;
import io.qualysciauth.bridge.Secrets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of {@link QualysAuthBinding#bind}: what a pipeline block gets
 * and what the host must mask while it runs.
 *
 * <p>It owns a copy of the bearer token and of the mask forms, and
 * {@link #close()} clears them. The accessors for secrets return fresh
 * copies that the caller clears. {@link #toString()} shows no secret.
 */
public final class BoundAuth implements AutoCloseable {
    private final LoginSummary summary;
    private final Map<String, String> variables;
    private final char[] token;
    private final List<char[]> maskForms;
    private final PolicyReport policyReport;

    BoundAuth(LoginSummary summary, Map<String, String> variables, char[] token, List<char[]> maskForms,
            PolicyReport policyReport) {
        this.summary = summary;
        this.variables = Collections.unmodifiableMap(variables);
        this.token = token;
        this.maskForms = maskForms;
        this.policyReport = policyReport;
    }

    /** Returns what the login reported. */
    public LoginSummary summary() {
        return summary;
    }

    /** Returns the token policy's report, when {@link QualysAuthBinding#bind} was given a policy. */
    public Optional<PolicyReport> policyReport() {
        return Optional.ofNullable(policyReport);
    }

    /**
     * Returns the variables without secrets: {@value QualysAuthBinding#GATEWAY_VARIABLE}
     * and {@value QualysAuthBinding#POD_VARIABLE}. An empty value means "unset
     * this variable" (a custom gateway has no POD), so that a value from an
     * enclosing scope cannot contradict the gateway.
     */
    public Map<String, String> variables() {
        return variables;
    }

    /** Returns the name of the variable that carries the token: {@value QualysAuthBinding#TOKEN_VARIABLE}. */
    public String tokenVariable() {
        return QualysAuthBinding.TOKEN_VARIABLE;
    }

    /** Returns a copy of the bearer token; the caller clears it. */
    public char[] token() {
        return token.clone();
    }

    /** Returns copies of every form to mask, longest first; the caller clears them. */
    public List<char[]> maskForms() {
        List<char[]> copies = new ArrayList<>(maskForms.size());
        for (char[] form : maskForms) {
            copies.add(form.clone());
        }
        return copies;
    }

    /** Clears the token and the mask forms held here. */
    @Override
    public void close() {
        Secrets.clear(token);
        Secrets.clearAll(maskForms);
    }

    @Override
    public String toString() {
        return "BoundAuth{" + QualysAuthBinding.describe(summary) + ", variables=" + variables
                + ", token=[REDACTED], maskForms=" + maskForms.size()
                + (policyReport == null ? "" : ", policy=" + policyReport.status().wireName()) + "}";
    }
}
