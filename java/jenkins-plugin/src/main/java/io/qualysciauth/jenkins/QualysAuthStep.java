package io.qualysciauth.jenkins;

import com.cloudbees.plugins.credentials.common.StandardCredentials;
import com.cloudbees.plugins.credentials.common.StandardListBoxModel;
import hudson.Extension;
import hudson.Util;
import hudson.model.Item;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.security.ACL;
import hudson.util.ListBoxModel;
import java.util.List;
import java.util.Set;
import jenkins.model.Jenkins;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.workflow.steps.Step;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.kohsuke.stapler.AncestorInPath;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;

/**
 * The block step {@code withQualysAuth(credentialsId: ..., pod: ... or gatewayUrl: ...) { ... }}.
 *
 * <p>The block runs with {@code QUALYS_ACCESS_TOKEN}, {@code QUALYS_GATEWAY_URL}
 * and {@code QUALYS_POD} set, and every form of the token and credential is
 * masked in its console output. Without {@code pod} and {@code gatewayUrl}
 * the global Qualys configuration's default applies. The token policy is
 * checked before the block; {@code registry} with {@code registryCredentialsId}
 * adds a private {@code DOCKER_CONFIG} with a registry login.
 */
public final class QualysAuthStep extends Step {
    private final String credentialsId;
    private String pod;
    private String gatewayUrl;
    private String environment;
    private String policyFile;
    private boolean unstableOnWarning;
    private String registry;
    private String registryCredentialsId;

    @DataBoundConstructor
    public QualysAuthStep(String credentialsId) {
        this.credentialsId = Util.fixEmptyAndTrim(credentialsId);
    }

    public String getCredentialsId() {
        return credentialsId;
    }

    public String getPod() {
        return pod;
    }

    /** Sets the POD, such as {@code US1}; exclusive with {@link #setGatewayUrl}. */
    @DataBoundSetter
    public void setPod(String pod) {
        this.pod = Util.fixEmptyAndTrim(pod);
    }

    public String getGatewayUrl() {
        return gatewayUrl;
    }

    /** Sets an explicit {@code https} gateway URL, for platforms without a POD name. */
    @DataBoundSetter
    public void setGatewayUrl(String gatewayUrl) {
        this.gatewayUrl = Util.fixEmptyAndTrim(gatewayUrl);
    }

    public String getEnvironment() {
        return environment;
    }

    /** Sets the environment label (such as {@code prod}) of the policy and the audit records. */
    @DataBoundSetter
    public void setEnvironment(String environment) {
        this.environment = Util.fixEmptyAndTrim(environment);
    }

    public String getPolicyFile() {
        return policyFile;
    }

    /** Sets the policy file, relative to the workspace; default {@code qualys-ci-auth.toml} when it exists. */
    @DataBoundSetter
    public void setPolicyFile(String policyFile) {
        this.policyFile = Util.fixEmptyAndTrim(policyFile);
    }

    public boolean isUnstableOnWarning() {
        return unstableOnWarning;
    }

    /** Sets whether a policy warning marks the build UNSTABLE; by default warnings are only printed. */
    @DataBoundSetter
    public void setUnstableOnWarning(boolean unstableOnWarning) {
        this.unstableOnWarning = unstableOnWarning;
    }

    public String getRegistry() {
        return registry;
    }

    /** Sets the container registry (host or image reference) to log in to for the block. */
    @DataBoundSetter
    public void setRegistry(String registry) {
        this.registry = Util.fixEmptyAndTrim(registry);
    }

    public String getRegistryCredentialsId() {
        return registryCredentialsId;
    }

    /** Sets the "Username with password" credential for {@link #setRegistry}. */
    @DataBoundSetter
    public void setRegistryCredentialsId(String registryCredentialsId) {
        this.registryCredentialsId = Util.fixEmptyAndTrim(registryCredentialsId);
    }

    @Override
    public StepExecution start(StepContext context) {
        return new QualysAuthExecution(this, context);
    }

    @Extension
    @Symbol("withQualysAuth")
    public static final class DescriptorImpl extends StepDescriptor {
        @Override
        public String getFunctionName() {
            return "withQualysAuth";
        }

        @Override
        public String getDisplayName() {
            return "Authenticate to Qualys Container Security";
        }

        @Override
        public boolean takesImplicitBlockArgument() {
            return true;
        }

        @Override
        public Set<? extends Class<?>> getRequiredContext() {
            return Set.of(Run.class, TaskListener.class);
        }

        /** Lists the "Secret text" and "Username with password" credentials the job can use. */
        public ListBoxModel doFillCredentialsIdItems(@AncestorInPath Item item, @QueryParameter String credentialsId) {
            StandardListBoxModel result = new StandardListBoxModel();
            boolean allowed = item == null
                    ? Jenkins.get().hasPermission(Jenkins.ADMINISTER)
                    : item.hasPermission(Item.EXTENDED_READ) || item.hasPermission(Item.CONFIGURE);
            if (!allowed) {
                result.includeCurrentValue(credentialsId);
                return result;
            }
            result.includeEmptyValue();
            if (item == null) {
                result.includeMatchingAs(ACL.SYSTEM2, Jenkins.get(), StandardCredentials.class, List.of(),
                        JenkinsCredentials.ALLOWED_KINDS);
            } else {
                result.includeMatchingAs(ACL.SYSTEM2, item, StandardCredentials.class, List.of(),
                        JenkinsCredentials.ALLOWED_KINDS);
            }
            result.includeCurrentValue(credentialsId);
            return result;
        }

        /** Lists the "Username with password" credentials the job can use for a registry. */
        public ListBoxModel doFillRegistryCredentialsIdItems(@AncestorInPath Item item,
                @QueryParameter String registryCredentialsId) {
            StandardListBoxModel result = new StandardListBoxModel();
            boolean allowed = item == null
                    ? Jenkins.get().hasPermission(Jenkins.ADMINISTER)
                    : item.hasPermission(Item.EXTENDED_READ) || item.hasPermission(Item.CONFIGURE);
            if (!allowed) {
                result.includeCurrentValue(registryCredentialsId);
                return result;
            }
            result.includeEmptyValue();
            if (item == null) {
                result.includeMatchingAs(ACL.SYSTEM2, Jenkins.get(), StandardCredentials.class, List.of(),
                        JenkinsCredentials.REGISTRY_KINDS);
            } else {
                result.includeMatchingAs(ACL.SYSTEM2, item, StandardCredentials.class, List.of(),
                        JenkinsCredentials.REGISTRY_KINDS);
            }
            result.includeCurrentValue(registryCredentialsId);
            return result;
        }

        /** Lists the POD names, with an empty entry for "use the gateway URL or the default". */
        public ListBoxModel doFillPodItems() {
            return QualysAuthGlobalConfiguration.podItems();
        }
    }
}
