package io.qualysciauth.bridge.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qualysciauth.bridge.Backend;
import io.qualysciauth.bridge.CredentialNotAllowedException;
import io.qualysciauth.bridge.Gateway;
import io.qualysciauth.bridge.InvalidArgumentException;
import io.qualysciauth.bridge.LogMasker;
import io.qualysciauth.bridge.MissingCredentialException;
import io.qualysciauth.bridge.QualysAuth;
import io.qualysciauth.bridge.SessionOptions;
import io.qualysciauth.bridge.Secrets;
import io.qualysciauth.bridge.GatewaySimulator;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What {@code withQualysAuth} decides and exposes, tested without Jenkins against the simulator. */
class QualysAuthBindingIT {
    private static final String CANARY_PASSWORD = "CANARY-binding-pw&9";

    private static GatewaySimulator simulator;

    @BeforeAll
    static void startSimulator() throws Exception {
        simulator = GatewaySimulator.start();
    }

    @AfterAll
    static void stopSimulator() throws Exception {
        simulator.close();
    }

    private static SessionOptions template() {
        return SessionOptions.builder().caPem(simulator.caPem()).maxAttempts(2).build();
    }

    @Test
    void stepValuesWinOverDefaults() throws Exception {
        assertEquals("EU1", QualysAuthBinding.resolveGateway("eu1", null, "US1", null).pod().orElseThrow());
        assertEquals("https://gateway.example.com",
                QualysAuthBinding.resolveGateway(null, "https://gateway.example.com/", "US1", null).url());
        assertEquals("US2", QualysAuthBinding.resolveGateway(" ", "", "US2", null).pod().orElseThrow());
        assertEquals("CA1",
                QualysAuthBinding.resolveGateway(null, null, null, "https://qg1.apps.qualys.ca").pod().orElseThrow());
    }

    @Test
    void ambiguousOrMissingGatewayIsRejected() {
        InvalidArgumentException both = assertThrows(InvalidArgumentException.class,
                () -> QualysAuthBinding.resolveGateway("US1", "https://gateway.example.com", null, null));
        assertTrue(both.getMessage().contains("pass only one"), both.getMessage());

        InvalidArgumentException bothDefaults = assertThrows(InvalidArgumentException.class,
                () -> QualysAuthBinding.resolveGateway(null, null, "US1", "https://gateway.example.com"));
        assertTrue(bothDefaults.getMessage().contains("global Qualys configuration"), bothDefaults.getMessage());

        InvalidArgumentException none = assertThrows(InvalidArgumentException.class,
                () -> QualysAuthBinding.resolveGateway(null, null, null, null));
        assertTrue(none.getMessage().contains("US1"), none.getMessage());
        assertTrue(none.getMessage().contains("KSA1"), none.getMessage());

        InvalidArgumentException plainHttp = assertThrows(InvalidArgumentException.class,
                () -> QualysAuthBinding.resolveGateway(null, "http://gateway.example.com", null, null));
        assertTrue(plainHttp.getMessage().contains("use https"), plainHttp.getMessage());
    }

    @Test
    void secretTextBindsAnApiToken() throws Exception {
        String token = simulator.mintJwt("binding@example.com", List.of("CS"), 3600L, 0);
        char[] secret = token.toCharArray();
        Gateway gateway = QualysAuthBinding.resolveGateway(null, simulator.url(), "US1", null);

        try (BoundAuth bound = QualysAuthBinding.bind(CredentialSource.secretText("qualys-token", secret), gateway,
                template())) {
            assertTrue(new String(secret).chars().allMatch(c -> c == 0), "bind clears the source");
            assertEquals(Backend.QSCANNER, bound.summary().backend());
            assertEquals("jenkins", bound.summary().platform());
            assertEquals(Map.of("QUALYS_GATEWAY_URL", simulator.url(), "QUALYS_POD", ""), bound.variables());
            assertEquals("QUALYS_ACCESS_TOKEN", bound.tokenVariable());
            assertEquals(token, new String(bound.token()));

            List<char[]> forms = bound.maskForms();
            String line = "curl -H 'Authorization: Bearer " + token + "' && echo "
                    + Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8)) + "\n";
            try (LogMasker masker = LogMasker.of(forms, StandardCharsets.UTF_8)) {
                String masked = new String(masker.mask(line.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
                assertEquals("curl -H 'Authorization: Bearer ****' && echo ****\n", masked);
            }
            Secrets.clearAll(forms);

            String text = bound.toString();
            assertFalse(text.contains(token), text);
            assertTrue(text.contains("QScanner backend as binding@example.com"), text);
        }
    }

    @Test
    void usernamePasswordBindsAJwt() throws Exception {
        String user = GatewaySimulator.uniqueUser("binding");
        simulator.addUser(user, CANARY_PASSWORD);
        Gateway gateway = QualysAuth.resolveGateway(null, simulator.url());

        try (BoundAuth bound = QualysAuthBinding.bind(
                CredentialSource.usernamePassword("qualys-user", user, CANARY_PASSWORD.toCharArray()), gateway,
                template())) {
            assertEquals(Backend.CICD_SENSOR, bound.summary().backend());
            assertEquals(user, bound.summary().user().orElseThrow());
            String jwt = new String(bound.token());
            assertEquals(3, jwt.split("\\.").length);

            List<char[]> forms = bound.maskForms();
            assertTrue(forms.stream().anyMatch(form -> new String(form).equals(CANARY_PASSWORD)));
            assertTrue(forms.stream().anyMatch(form -> new String(form).equals(jwt)));
            Secrets.clearAll(forms);
            assertFalse(bound.toString().contains(CANARY_PASSWORD));
            assertTrue(QualysAuthBinding.describe(bound.summary()).contains("CICD Sensor backend as " + user));
        }
    }

    @Test
    void otherCredentialKindsAreRejectedWithTheRule() throws Exception {
        CredentialSource ssh = CredentialSource.unsupported("deploy-key", "SSH Username with private key");
        CredentialNotAllowedException error = assertThrows(CredentialNotAllowedException.class,
                () -> QualysAuthBinding.bind(ssh, QualysAuth.resolveGateway("US1", null), template()));
        assertTrue(error.getMessage().contains("'deploy-key'"), error.getMessage());
        assertTrue(error.getMessage().contains("SSH Username with private key"), error.getMessage());
        assertTrue(error.getMessage().contains(QualysAuth.credentialRule()), error.getMessage());

        MissingCredentialException missing = assertThrows(MissingCredentialException.class,
                () -> QualysAuthBinding.backendFor(CredentialSource.notFound("no-such-id")));
        assertTrue(missing.getMessage().contains("'no-such-id'"), missing.getMessage());

        assertEquals(Backend.QSCANNER,
                QualysAuthBinding.backendFor(CredentialSource.secretText("t", "x".toCharArray())));
        assertEquals(Backend.CICD_SENSOR,
                QualysAuthBinding.backendFor(CredentialSource.usernamePassword("u", "n", "p".toCharArray())));
    }

    @Test
    void sourceToStringHidesTheSecret() {
        CredentialSource source = CredentialSource.usernamePassword("id", "alice", CANARY_PASSWORD.toCharArray());
        assertFalse(source.toString().contains(CANARY_PASSWORD), source.toString());
        assertTrue(source.toString().contains("[REDACTED]"));
    }
}
