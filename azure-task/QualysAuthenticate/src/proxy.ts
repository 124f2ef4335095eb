/**
 * Passes the agent's proxy settings to the native library. The agent keeps
 * them in the variables Agent.ProxyUrl, Agent.ProxyUsername,
 * Agent.ProxyPassword and Agent.ProxyBypassList, which task-lib reads. The
 * library's HTTP client (reqwest 0.13) reads `HTTPS_PROXY` and `NO_PROXY`
 * from the process environment when it is built, at the first session, so
 * the task sets `HTTPS_PROXY` before that.
 */

import * as tl from 'azure-pipelines-task-lib/task';

import { readSecret, silenced } from './secrets';

/** The agent's proxy, as task-lib reports it. */
export interface AgentProxy {
    /** The proxy URL without credentials, safe to print. */
    url: string;
    username?: string;
    password?: string;
}

/**
 * Returns the agent's proxy for the gateway, or undefined when the agent has
 * none or its bypass list matches `gatewayUrl`. The password is registered
 * as a secret before it is returned.
 *
 * NOTE: with a POD instead of a gateway URL, the gateway is not known here,
 * so the agent's bypass list is not applied. `NO_PROXY` in the agent's
 * environment still applies.
 */
export function readAgentProxy(gatewayUrl: string | undefined): AgentProxy | undefined {
    // getHttpProxyConfiguration echoes each variable, the password included,
    // into a debug line.
    const config = silenced(() => tl.getHttpProxyConfiguration(gatewayUrl));
    if (config === null || config.proxyUrl.length === 0) {
        return undefined;
    }
    const password = readSecret(() => config.proxyPassword);
    return {
        url: config.proxyUrl,
        username: config.proxyUsername || undefined,
        password: password || undefined,
    };
}

/** Returns the proxy URL with its credentials percent-encoded, as `HTTPS_PROXY` expects. */
export function proxyUrlWithCredentials(proxy: AgentProxy): string {
    const url = new URL(proxy.url);
    if (proxy.username !== undefined) {
        // The URL setters percent-encode what a user name or password may
        // contain, such as `@`, `:` and `/`.
        url.username = proxy.username;
        url.password = proxy.password ?? '';
    }
    return url.toString();
}

/** Makes the native library's HTTP client use `proxy` for HTTPS requests. */
export function applyProxy(proxy: AgentProxy): void {
    process.env['HTTPS_PROXY'] = proxyUrlWithCredentials(proxy);
}
