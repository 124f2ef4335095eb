/**
 * Picks the proxy for the native library's requests from the agent's proxy
 * settings. The agent keeps them in the variables Agent.ProxyUrl,
 * Agent.ProxyUsername, Agent.ProxyPassword and Agent.ProxyBypassList, which
 * task-lib reads. The choice reaches the library through
 * `qca_config_set_proxy`, with the password as bytes: the task never puts
 * proxy credentials into the process environment, where every child process
 * and `/proc/<pid>/environ` would see them.
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
 * How the library connects:
 * - `environment`: the agent has no proxy, so `HTTPS_PROXY` and `NO_PROXY`
 *   of the environment apply, as for any program on the machine;
 * - `direct`: the agent's bypass list matches the request URL;
 * - `agent`: through the agent's proxy.
 */
export type ProxyChoice = { kind: 'environment' } | { kind: 'direct' } | { kind: 'agent'; proxy: AgentProxy };

/**
 * Returns the proxy choice for requests to `requestUrl`. The password is
 * registered as a secret before it is returned.
 *
 * NOTE: without a request URL (a POD instead of a gateway URL: the task does
 * not know the POD's gateway), the agent's bypass list is not applied.
 */
export function agentProxyFor(requestUrl: string | undefined): ProxyChoice {
    // getHttpProxyConfiguration echoes each variable, the password included,
    // into a debug line.
    const configured = silenced(() => tl.getVariable('Agent.ProxyUrl'));
    if (configured === undefined || configured.trim().length === 0) {
        return { kind: 'environment' };
    }
    const config = silenced(() => tl.getHttpProxyConfiguration(requestUrl));
    if (config === null) {
        return { kind: 'direct' };
    }
    const password = readSecret(() => config.proxyPassword);
    return {
        kind: 'agent',
        proxy: {
            url: config.proxyUrl,
            username: config.proxyUsername || undefined,
            password: password || undefined,
        },
    };
}
