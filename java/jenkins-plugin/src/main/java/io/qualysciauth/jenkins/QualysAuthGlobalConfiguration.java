package io.qualysciauth.jenkins;

import com.cloudbees.plugins.credentials.common.StandardCredentials;
import com.cloudbees.plugins.credentials.common.StandardListBoxModel;
import hudson.Extension;
import hudson.ExtensionList;
import hudson.Util;
import hudson.security.ACL;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import io.qualysciauth.bridge.Gateway;
import io.qualysciauth.bridge.ProxySettings;
import io.qualysciauth.bridge.QualysAuth;
import io.qualysciauth.bridge.QualysAuthException;
import io.qualysciauth.bridge.SessionOptions;
import io.qualysciauth.bridge.binding.BoundAuth;
import io.qualysciauth.bridge.binding.QualysAuthBinding;
import java.util.List;
import jenkins.model.GlobalConfiguration;
import jenkins.model.Jenkins;
import org.jenkinsci.Symbol;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.verb.POST;

/**
 * The global Qualys configuration (Manage Jenkins > System): the default POD
 * or gateway URL for steps that name neither, extra CA certificates (for a
 * TLS-inspecting proxy), and a "Test connection" button.
 */
@Extension
@Symbol("qualysAuth")
public final class QualysAuthGlobalConfiguration extends GlobalConfiguration {
    private String defaultPod;
    private String defaultGatewayUrl;
    private String caCertificates;

    public QualysAuthGlobalConfiguration() {
        load();
    }

    /** Returns the singleton instance. */
    public static QualysAuthGlobalConfiguration get() {
        return ExtensionList.lookupSingleton(QualysAuthGlobalConfiguration.class);
    }

    public String getDefaultPod() {
        return defaultPod;
    }

    @DataBoundSetter
    public void setDefaultPod(String defaultPod) {
        this.defaultPod = Util.fixEmptyAndTrim(defaultPod);
        save();
    }

    public String getDefaultGatewayUrl() {
        return defaultGatewayUrl;
    }

    @DataBoundSetter
    public void setDefaultGatewayUrl(String defaultGatewayUrl) {
        this.defaultGatewayUrl = Util.fixEmptyAndTrim(defaultGatewayUrl);
        save();
    }

    /** Returns the extra CA certificates in PEM, or {@code null}. */
    public String getCaCertificates() {
        return caCertificates;
    }

    /** Sets PEM CA certificates that are trusted in addition to the system's, never instead of them. */
    @DataBoundSetter
    public void setCaCertificates(String caCertificates) {
        this.caCertificates = Util.fixEmptyAndTrim(caCertificates);
        save();
    }

    /** Returns the session settings of every Qualys request: the extra CAs and Jenkins's proxy. */
    SessionOptions sessionTemplate(ProxySettings proxy) {
        return SessionOptions.builder().caPem(caCertificates).proxy(proxy).build();
    }

    /** Returns the POD names for a drop-down, after an empty entry. */
    static ListBoxModel podItems() {
        ListBoxModel items = new ListBoxModel();
        items.add("", "");
        try {
            for (String pod : QualysAuth.podNames()) {
                items.add(pod);
            }
        } catch (QualysAuthException | UnsatisfiedLinkError e) {
            items.add("(the Qualys native library failed to load: " + e.getMessage() + ")", "");
        }
        return items;
    }

    public ListBoxModel doFillDefaultPodItems() {
        return podItems();
    }

    /** Checks that at most one default is set and that it resolves. */
    @POST
    public FormValidation doCheckDefaultGatewayUrl(@QueryParameter String defaultPod,
            @QueryParameter String defaultGatewayUrl) {
        Jenkins.get().checkPermission(Jenkins.ADMINISTER);
        if (Util.fixEmptyAndTrim(defaultPod) == null && Util.fixEmptyAndTrim(defaultGatewayUrl) == null) {
            return FormValidation.ok();
        }
        try {
            Gateway gateway = QualysAuthBinding.resolveGateway(null, null, defaultPod, defaultGatewayUrl);
            return FormValidation.ok("Qualys requests go to " + gateway);
        } catch (QualysAuthException e) {
            return FormValidation.error(e.getMessage());
        }
    }

    /** Lists the credentials available globally, for the test button. */
    public ListBoxModel doFillTestCredentialsIdItems(@QueryParameter String testCredentialsId) {
        StandardListBoxModel result = new StandardListBoxModel();
        if (!Jenkins.get().hasPermission(Jenkins.ADMINISTER)) {
            result.includeCurrentValue(testCredentialsId);
            return result;
        }
        result.includeEmptyValue();
        result.includeMatchingAs(ACL.SYSTEM2, Jenkins.get(), StandardCredentials.class, List.of(),
                JenkinsCredentials.ALLOWED_KINDS);
        return result;
    }

    /** Logs in with a global credential at the default POD or gateway and reports the result. */
    @POST
    public FormValidation doTestConnection(@QueryParameter String testCredentialsId,
            @QueryParameter String defaultPod, @QueryParameter String defaultGatewayUrl) {
        Jenkins.get().checkPermission(Jenkins.ADMINISTER);
        try {
            Gateway gateway = QualysAuthBinding.resolveGateway(null, null, defaultPod, defaultGatewayUrl);
            try (ProxySettings proxy = JenkinsProxy.forGateway(gateway);
                    BoundAuth bound = QualysAuthBinding.bind(
                            JenkinsCredentials.forSystem(Util.fixEmptyAndTrim(testCredentialsId), Jenkins.get()),
                            gateway, sessionTemplate(proxy))) {
                return FormValidation.ok("Success: " + QualysAuthBinding.describe(bound.summary()));
            }
        } catch (QualysAuthException e) {
            return FormValidation.error(e.getMessage() + " [" + e.code().wireName() + "]");
        } catch (UnsatisfiedLinkError e) {
            return FormValidation.error("The Qualys native library failed to load: " + e.getMessage());
        }
    }
}
