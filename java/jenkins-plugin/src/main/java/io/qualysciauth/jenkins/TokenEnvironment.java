package io.qualysciauth.jenkins;

import hudson.EnvVars;
import hudson.util.Secret;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.jenkinsci.plugins.workflow.steps.EnvironmentExpander;

/**
 * The variables of the {@code withQualysAuth} block. The token is kept as an
 * encrypted {@link Secret}, because this object is saved with the pipeline's
 * state, and declared sensitive so that Pipeline warns when it is
 * interpolated into a script string. An empty public value unsets the
 * variable ({@link EnvVars#override} removes keys set to "").
 */
final class TokenEnvironment extends EnvironmentExpander {
    private static final long serialVersionUID = 1L;

    private final String tokenVariable;
    private final Secret token;
    private final Map<String, String> publicVariables;

    TokenEnvironment(String tokenVariable, char[] token, Map<String, String> publicVariables) {
        this.tokenVariable = tokenVariable;
        this.token = Secret.fromString(new String(token));
        this.publicVariables = new LinkedHashMap<>(publicVariables);
    }

    @Override
    public void expand(EnvVars env) {
        env.override(tokenVariable, token.getPlainText());
        publicVariables.forEach(env::override);
    }

    @Override
    public Set<String> getSensitiveVariables() {
        return Set.of(tokenVariable);
    }
}
