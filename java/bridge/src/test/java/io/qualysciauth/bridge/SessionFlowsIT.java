package io.qualysciauth.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Both authentication flows through the bridge, against the gateway simulator. */
class SessionFlowsIT {
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
    void apiTokenLoginReportsAndVerifies() throws Exception {
        String token = simulator.mintJwt("scanner@example.com", List.of("CS"), 3600L, 0);
        char[] secret = token.toCharArray();
        SessionOptions options = simulator.options().platform(Platform.GITHUB_ACTIONS).build();

        try (QualysSession session = QualysSession.open(options, Credential.apiToken(secret))) {
            assertTrue(new String(secret).chars().allMatch(c -> c == 0), "open clears the token array");

            LoginSummary summary = session.login();
            assertEquals(1, summary.schemaVersion());
            assertEquals(simulator.url(), summary.gateway());
            assertTrue(summary.pod().isEmpty());
            assertEquals(Backend.QSCANNER, summary.backend());
            assertEquals("github-actions", summary.platform());
            assertEquals("api-token", summary.credential());
            assertEquals("scanner@example.com", summary.user().orElseThrow());
            assertEquals("jwt", summary.tokenKind());
            assertEquals(16, summary.tokenFingerprint().length());
            assertEquals(List.of("CS"), summary.scopes().orElseThrow());
            assertTrue(summary.expiresAt().isPresent());
            assertTrue(summary.expiresInSeconds().orElseThrow() > 3500);
            assertTrue(summary.verified());

            char[] bearer = session.bearerToken();
            assertArrayEquals(token.toCharArray(), bearer);
            Secrets.clear(bearer);

            session.verify();
        }
    }

    @Test
    void opaqueTokenIsValid() throws Exception {
        String token = simulator.mintOpaque("opaque@example.com", List.of("CS"));
        SessionOptions options = simulator.options().platform(Platform.GITLAB_CI).build();

        try (QualysSession session = QualysSession.open(options, Credential.apiToken(token.toCharArray()))) {
            LoginSummary summary = session.login();
            assertEquals("opaque", summary.tokenKind());
            assertTrue(summary.user().isEmpty());
            assertTrue(summary.expiresAt().isEmpty());
            assertTrue(summary.scopes().isEmpty());
            assertTrue(summary.verified());
        }
    }

    @Test
    void passwordFlowExchangesForJwt() throws Exception {
        String user = GatewaySimulator.uniqueUser("sensor");
        simulator.addUser(user, "p&ss w/rd=1%$");
        char[] password = "p&ss w/rd=1%$".toCharArray();
        SessionOptions options = simulator.options().platform(Platform.JENKINS).build();

        try (QualysSession session = QualysSession.open(options, Credential.usernamePassword(user, password))) {
            assertTrue(new String(password).chars().allMatch(c -> c == 0), "open clears the password array");

            LoginSummary summary = session.login();
            assertEquals(Backend.CICD_SENSOR, summary.backend());
            assertEquals("username-password", summary.credential());
            assertEquals("jenkins", summary.platform());
            assertEquals(user, summary.user().orElseThrow());
            assertEquals("jwt", summary.tokenKind());
            assertTrue(summary.verified());

            char[] jwt = session.bearerToken();
            assertEquals(3, new String(jwt).split("\\.").length, "a JWT has three parts");

            List<char[]> forms = session.maskForms();
            assertTrue(contains(forms, "p&ss w/rd=1%$"), "the password");
            assertTrue(contains(forms, "p%26ss%20w%2Frd%3D1%25%24"), "the URL-encoded password");
            String basic = Base64.getEncoder().encodeToString((user + ":p&ss w/rd=1%$").getBytes(StandardCharsets.UTF_8));
            assertTrue(contains(forms, basic), "base64 of user:password");
            assertTrue(contains(forms, new String(jwt)), "the JWT");
            assertTrue(contains(forms, Base64.getEncoder().encodeToString(new String(jwt).getBytes(StandardCharsets.UTF_8))),
                    "the JWT's base64");
            Secrets.clear(jwt);
            Secrets.clearAll(forms);
        }
    }

    @Test
    void closedSessionRejectsCalls() throws Exception {
        String token = simulator.mintOpaque("closed@example.com", List.of("CS"));
        QualysSession session = QualysSession.open(
                simulator.options().platform(Platform.SHELL).build(), Credential.apiToken(token.toCharArray()));
        session.close();
        session.close();
        IllegalStateException error = assertThrows(IllegalStateException.class, session::login);
        assertTrue(error.getMessage().contains("closed"), error.getMessage());
        assertEquals("QualysSession{closed}", session.toString());
    }

    @Test
    void maskFormsOfSecretAreComplete() throws Exception {
        char[] secret = "tok$en/with+chars".toCharArray();
        List<char[]> forms = QualysAuth.maskForms(secret, null);
        assertTrue(new String(secret).chars().allMatch(c -> c == 0), "maskForms clears its input");
        assertTrue(contains(forms, "tok$en/with+chars"));
        assertTrue(contains(forms, "tok$$en/with+chars"), "the $-doubled form");
        assertTrue(contains(forms, Base64.getEncoder().encodeToString(
                "tok$en/with+chars".getBytes(StandardCharsets.UTF_8))));
        for (int i = 1; i < forms.size(); i++) {
            assertTrue(forms.get(i - 1).length >= forms.get(i).length, "longest first");
        }
        assertTrue(QualysAuth.maskForms("abc".toCharArray(), null).isEmpty(), "short secrets have no forms");
    }

    @Test
    void inspectReadsClaimsOffline() throws Exception {
        String token = simulator.mintJwt("inspect@example.com", List.of("CS", "VM SCANNER"), 7200L, 3);
        TokenInspection inspection = QualysAuth.inspect(("Bearer " + token + "\n").toCharArray());
        assertEquals("jwt", inspection.tokenKind());
        assertEquals("inspect@example.com", inspection.user().orElseThrow());
        assertEquals("ApiTokenCredential", inspection.credentialType().orElseThrow());
        assertEquals(List.of("CS", "VM SCANNER"), inspection.scopes().orElseThrow());
        assertEquals(Boolean.TRUE, inspection.containerSecurity().orElseThrow());
        assertEquals(7200, inspection.expiresAt().orElseThrow().getEpochSecond()
                - inspection.issuedAt().orElseThrow().getEpochSecond());
        assertFalse(inspection.toString().contains(token));

        TokenInspection opaque = QualysAuth.inspect("opaque-token-value".toCharArray());
        assertEquals("opaque", opaque.tokenKind());
        assertTrue(opaque.user().isEmpty());
        assertTrue(opaque.containerSecurity().isEmpty());
    }

    @Test
    void resolveGatewayMapsPodsAndAliases() throws Exception {
        Gateway us1 = QualysAuth.resolveGateway(" us1 ", null);
        assertEquals("https://gateway.qg1.apps.qualys.com", us1.url());
        assertEquals("US1", us1.pod().orElseThrow());

        Gateway alias = QualysAuth.resolveGateway(null, "https://qg2.apps.qualys.eu/");
        assertEquals("EU2", alias.pod().orElseThrow());

        Gateway custom = QualysAuth.resolveGateway("", "https://gateway.example.com/");
        assertEquals("https://gateway.example.com", custom.url());
        assertTrue(custom.pod().isEmpty());

        assertTrue(QualysAuth.podNames().containsAll(List.of("US1", "EU1", "KSA1")));
        assertTrue(QualysAuth.credentialRule().contains("only on Jenkins"));
        assertFalse(QualysAuth.nativeVersion().isBlank());
    }

    private static boolean contains(List<char[]> forms, String expected) {
        return forms.stream().anyMatch(form -> new String(form).equals(expected));
    }
}
