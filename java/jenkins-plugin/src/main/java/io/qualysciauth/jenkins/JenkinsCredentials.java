package io.qualysciauth.jenkins;

import com.cloudbees.plugins.credentials.CredentialsMatcher;
import com.cloudbees.plugins.credentials.CredentialsMatchers;
import com.cloudbees.plugins.credentials.CredentialsProvider;
import com.cloudbees.plugins.credentials.common.StandardCredentials;
import com.cloudbees.plugins.credentials.common.StandardUsernamePasswordCredentials;
import hudson.model.ItemGroup;
import hudson.model.Run;
import hudson.security.ACL;
import io.qualysciauth.bridge.binding.CredentialSource;
import java.util.List;
import org.jenkinsci.plugins.plaincredentials.StringCredentials;

/**
 * Finds a credential by ID and adapts it to the bridge's {@link CredentialSource}:
 * find, track, then map the type. What each type means is decided in
 * {@code QualysAuthBinding}, not here.
 */
final class JenkinsCredentials {
    /** The types the credential rule allows: "Secret text" and "Username with password". */
    static final CredentialsMatcher ALLOWED_KINDS = CredentialsMatchers.anyOf(
            CredentialsMatchers.instanceOf(StringCredentials.class),
            CredentialsMatchers.instanceOf(StandardUsernamePasswordCredentials.class));

    /** The type a registry login accepts: "Username with password". */
    static final CredentialsMatcher REGISTRY_KINDS =
            CredentialsMatchers.instanceOf(StandardUsernamePasswordCredentials.class);

    private JenkinsCredentials() {
    }

    /**
     * Looks the credential up in the context of {@code run}, its folders and
     * the global store included, as the run's authentication allows, and
     * records its use on the run.
     */
    static CredentialSource forRun(String credentialsId, Run<?, ?> run) {
        if (credentialsId == null) {
            return CredentialSource.notFound("(none: pass credentialsId to withQualysAuth)");
        }
        StandardCredentials found = CredentialsProvider.findCredentialById(credentialsId, StandardCredentials.class,
                run);
        if (found == null) {
            return CredentialSource.notFound(credentialsId);
        }
        CredentialsProvider.track(run, found);
        return adapt(credentialsId, found);
    }

    /** Looks the credential up in {@code context} as the system, for the global "Test connection" button. */
    static CredentialSource forSystem(String credentialsId, ItemGroup<?> context) {
        if (credentialsId == null) {
            return CredentialSource.notFound("(none: choose a credential to test with)");
        }
        StandardCredentials found = CredentialsProvider.findCredentialByIdInItemGroup(credentialsId,
                StandardCredentials.class, context, ACL.SYSTEM2, List.of());
        return found == null ? CredentialSource.notFound(credentialsId) : adapt(credentialsId, found);
    }

    private static CredentialSource adapt(String id, StandardCredentials credential) {
        if (credential instanceof StandardUsernamePasswordCredentials usernamePassword) {
            return CredentialSource.usernamePassword(id, usernamePassword.getUsername(),
                    usernamePassword.getPassword().getPlainText().toCharArray());
        }
        if (credential instanceof StringCredentials secretText) {
            return CredentialSource.secretText(id, secretText.getSecret().getPlainText().toCharArray());
        }
        return CredentialSource.unsupported(id, credential.getDescriptor().getDisplayName());
    }
}
