package io.qualysciauth.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link SessionOptions} proxy settings reach the native core: gateway
 * requests go through a CONNECT proxy started by the test, with and without
 * Basic proxy authentication.
 */
class ProxyIT {
    private static final String PROXY_USER = "proxy-user";
    private static final String PROXY_PASSWORD = "CANARY-proxy-pw-8812";

    private static GatewaySimulator simulator;

    @BeforeAll
    static void startSimulator() throws Exception {
        simulator = GatewaySimulator.start();
    }

    @AfterAll
    static void stopSimulator() throws Exception {
        simulator.close();
    }

    @Test
    void requestsGoThroughTheProxy() throws Exception {
        String user = GatewaySimulator.uniqueUser("proxied");
        simulator.addUser(user, "proxied-password");
        try (ConnectProxy proxy = ConnectProxy.open();
                ProxySettings settings = new ProxySettings("127.0.0.1", proxy.port(), null, null)) {
            SessionOptions options = simulator.options().platform(Platform.JENKINS).proxy(settings).build();
            try (QualysSession session = QualysSession.open(options,
                    Credential.usernamePassword(user, "proxied-password".toCharArray()))) {
                assertTrue(session.login().verified());
            }
            assertTrue(proxy.tunnels() >= 1, "tunnels: " + proxy.tunnels());
            assertEquals(0, proxy.rejected());
        }
    }

    @Test
    void proxyCredentialsAreSent() throws Exception {
        String token = simulator.mintJwt("proxy@example.com", List.of("CS"), null, 0);
        char[] password = PROXY_PASSWORD.toCharArray();
        try (ConnectProxy proxy = ConnectProxy.withBasicAuth(PROXY_USER, PROXY_PASSWORD);
                ProxySettings settings = new ProxySettings("127.0.0.1", proxy.port(), PROXY_USER, password)) {
            SessionOptions options = simulator.options().proxy(settings).build();
            try (QualysSession session = QualysSession.open(options, Credential.apiToken(token.toCharArray()))) {
                assertTrue(session.login().verified());
            }
            assertTrue(proxy.tunnels() >= 1, "tunnels: " + proxy.tunnels());
            assertEquals(0, proxy.rejected());
            assertFalse(options.toString().contains(PROXY_PASSWORD), options.toString());
            assertEquals(PROXY_PASSWORD, new String(password), "the proxy password stays the caller's");
        }
        assertTrue(new String(password).chars().allMatch(c -> c == 0), "closing the settings clears it");
    }

    @Test
    void missingProxyCredentialsFailClearly() throws Exception {
        String token = simulator.mintJwt("proxy@example.com", List.of("CS"), null, 0);
        try (ConnectProxy proxy = ConnectProxy.withBasicAuth(PROXY_USER, PROXY_PASSWORD)) {
            simulator.reset();
            ProxySettings settings = new ProxySettings("127.0.0.1", proxy.port(), null, null);
            SessionOptions options = simulator.options().proxy(settings).build();
            try (QualysSession session = QualysSession.open(options, Credential.apiToken(token.toCharArray()))) {
                NetworkException error = assertThrows(NetworkException.class, session::login);
                assertTrue(error.getMessage().contains("proxy"), error.getMessage());
            }
            assertEquals(0, proxy.tunnels());
            assertTrue(proxy.rejected() >= 1);
        }
    }

    @Test
    void wrongProxyPasswordStaysOutOfMessages() throws Exception {
        String token = simulator.mintJwt("proxy@example.com", List.of("CS"), null, 0);
        String wrong = "CANARY-wrong-proxy-pw-4242";
        try (ConnectProxy proxy = ConnectProxy.withBasicAuth(PROXY_USER, PROXY_PASSWORD);
                ProxySettings settings = new ProxySettings("127.0.0.1", proxy.port(), PROXY_USER,
                        wrong.toCharArray())) {
            SessionOptions options = simulator.options().proxy(settings).build();
            try (QualysSession session = QualysSession.open(options, Credential.apiToken(token.toCharArray()))) {
                NetworkException error = assertThrows(NetworkException.class, session::login);
                assertFalse(error.getMessage().contains(wrong), error.getMessage());
                assertFalse(error.getMessage().contains(token), error.getMessage());
            }
            assertEquals(0, proxy.tunnels());
        }
    }
}
