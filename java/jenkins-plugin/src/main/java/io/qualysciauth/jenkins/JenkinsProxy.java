package io.qualysciauth.jenkins;

import hudson.ProxyConfiguration;
import hudson.util.Secret;
import io.qualysciauth.bridge.Gateway;
import io.qualysciauth.bridge.ProxySettings;
import java.net.Proxy;
import java.net.URI;
import jenkins.model.Jenkins;

/** Adapts Jenkins's own proxy configuration (Manage Jenkins > System > HTTP Proxy) to the bridge's. */
final class JenkinsProxy {
    private JenkinsProxy() {
    }

    /**
     * Returns the proxy Jenkins would use for the gateway's host, or
     * {@code null} when none is configured or the host is in its "No Proxy
     * Host" list. The caller closes the result, which clears the password.
     */
    static ProxySettings forGateway(Gateway gateway) {
        return forHost(URI.create(gateway.url()).getHost());
    }

    /** As {@link #forGateway}, for a host name such as a registry's. */
    static ProxySettings forHost(String host) {
        ProxyConfiguration proxy = Jenkins.get().getProxy();
        if (proxy == null || proxy.getName() == null) {
            return null;
        }
        if (proxy.createProxy(host).type() == Proxy.Type.DIRECT) {
            return null;
        }
        Secret password = proxy.getSecretPassword();
        char[] plain = password == null ? null : password.getPlainText().toCharArray();
        return new ProxySettings(proxy.getName(), proxy.getPort(), proxy.getUserName(), plain);
    }
}
