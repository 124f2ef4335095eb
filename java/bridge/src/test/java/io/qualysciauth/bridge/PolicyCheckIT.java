package io.qualysciauth.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token policy on a session, and its audit log, against the gateway simulator. */
class PolicyCheckIT {
    private static final String CANARY_PASSWORD = "CANARY-policy-pw%21";

    private static GatewaySimulator simulator;

    @BeforeAll
    static void startSimulator() throws Exception {
        simulator = GatewaySimulator.start();
    }

    @AfterAll
    static void stopSimulator() throws Exception {
        simulator.close();
    }

    private static String jwtIssuedDaysAgo(int days) throws Exception {
        return simulator.mintJwt("policy@example.com", List.of("CS"), null, days);
    }

    private static PolicyReport check(String token, SessionOptions options, PolicyOptions policy) throws Exception {
        try (QualysSession session = QualysSession.open(options, Credential.apiToken(token.toCharArray()))) {
            return session.check(policy);
        }
    }

    private static PolicyCheck rotation(PolicyReport report) {
        return report.check("rotation").orElseThrow();
    }

    @Test
    void freshTokenPasses() throws Exception {
        PolicyReport report = check(jwtIssuedDaysAgo(0), simulator.options().build(), PolicyOptions.defaults());

        assertEquals(CheckStatus.PASS, report.status());
        assertEquals(0, report.exitCode());
        assertEquals(CheckStatus.PASS, rotation(report).status());
        assertTrue(rotation(report).message().contains("0 days old"), rotation(report).message());
        assertEquals(CheckStatus.PASS, report.check("scopes").orElseThrow().status());
        assertEquals(CheckStatus.PASS, report.check("expiry").orElseThrow().status());
        assertEquals(CheckStatus.PASS, report.check("verification").orElseThrow().status());
        assertEquals(List.of("rotation", "scopes", "expiry", "separate-tokens", "verification"),
                report.checks().stream().map(PolicyCheck::id).toList());
        assertTrue(report.warnings().isEmpty());
        assertTrue(report.failures().isEmpty());
        assertEquals("jwt", report.tokenKind());
        assertEquals(16, report.tokenFingerprint().length());

        JsonObject json = new Gson().fromJson(report.toJson(), JsonObject.class);
        assertEquals("pass", json.get("status").getAsString());
        assertEquals(75, json.getAsJsonObject("policy").get("warn_after_days").getAsInt());
    }

    @Test
    void tokenOfEightyDaysWarns() throws Exception {
        PolicyReport report = check(jwtIssuedDaysAgo(80), simulator.options().build(), PolicyOptions.defaults());

        assertEquals(CheckStatus.WARN, report.status());
        assertEquals(0, report.exitCode(), "warnings exit 0, as check does");
        assertEquals(CheckStatus.WARN, rotation(report).status());
        assertTrue(rotation(report).message().contains("80 days old"), rotation(report).message());
        assertTrue(rotation(report).message().contains("90-day limit"), rotation(report).message());
        assertEquals(List.of("rotation"), report.warnings().stream().map(PolicyCheck::id).toList());
    }

    @Test
    void tokenOfHundredDaysFails() throws Exception {
        PolicyReport report = check(jwtIssuedDaysAgo(100), simulator.options().build(), PolicyOptions.defaults());

        assertEquals(CheckStatus.FAIL, report.status());
        assertEquals(23, report.exitCode());
        assertEquals(CheckStatus.FAIL, rotation(report).status());
        assertTrue(rotation(report).message().contains("100 days old, past the 90-day limit"),
                rotation(report).message());
        assertEquals(CheckStatus.PASS, report.check("verification").orElseThrow().status(),
                "the gateway still accepts an old token; the policy is what fails");
    }

    @Test
    void optionsOverrideThePolicyText(@TempDir Path temp) throws Exception {
        String token = jwtIssuedDaysAgo(80);
        String text = "environment = \"staging\"\n[rotation]\nwarn_after_days = 30\nfail_after_days = 60\n";

        PolicyReport fromText = check(token, simulator.options().build(),
                PolicyOptions.builder().policyText(text, "ws/qualys-ci-auth.toml").build());
        assertEquals(CheckStatus.FAIL, fromText.status());
        assertEquals("ws/qualys-ci-auth.toml", fromText.policyFile().orElseThrow());
        assertEquals("staging", fromText.environment().orElseThrow());

        PolicyReport overridden = check(token, simulator.options().environment("prod").build(),
                PolicyOptions.builder().policyText(text, "ws/qualys-ci-auth.toml").failAfterDays(120).build());
        assertEquals(CheckStatus.WARN, overridden.status());
        assertEquals("prod", overridden.environment().orElseThrow(), "the session's label wins over the file's");

        Path file = temp.resolve("policy.toml");
        Files.writeString(file, "[rotation]\nwarn_after_days = 90\nfail_after_days = 100\n");
        PolicyReport fromFile = check(token, simulator.options().build(),
                PolicyOptions.builder().policyFile(file).build());
        assertEquals(CheckStatus.PASS, fromFile.status());
        assertEquals(file.toString(), fromFile.policyFile().orElseThrow());
    }

    @Test
    void invalidPolicyIsNamed(@TempDir Path temp) throws Exception {
        String token = jwtIssuedDaysAgo(0);

        InvalidArgumentException unknownKey = assertThrows(InvalidArgumentException.class, () -> check(token,
                simulator.options().build(),
                PolicyOptions.builder().policyText("[rotation]\nwarn_after = 3\n", "ws/bad.toml").build()));
        assertTrue(unknownKey.getMessage().contains("ws/bad.toml"), unknownKey.getMessage());
        assertTrue(unknownKey.getMessage().contains("warn_after"), unknownKey.getMessage());

        LocalIoException missing = assertThrows(LocalIoException.class, () -> check(token,
                simulator.options().build(),
                PolicyOptions.builder().policyFile(temp.resolve("missing.toml")).build()));
        assertTrue(missing.getMessage().contains("missing.toml"), missing.getMessage());

        InvalidArgumentException inverted = assertThrows(InvalidArgumentException.class, () -> check(token,
                simulator.options().build(), PolicyOptions.builder().warnAfterDays(50).failAfterDays(40).build()));
        assertTrue(inverted.getMessage().contains("50 days"), inverted.getMessage());

        LocalDate tomorrow = LocalDate.now(ZoneOffset.UTC).plusDays(1);
        InvalidArgumentException future = assertThrows(InvalidArgumentException.class, () -> check(token,
                simulator.options().build(), PolicyOptions.builder().tokenCreated(tomorrow).build()));
        assertTrue(future.getMessage().contains(tomorrow.toString()), future.getMessage());

        assertThrows(IllegalStateException.class,
                () -> PolicyOptions.builder().policyFile(temp.resolve("a.toml")).policyText("", "b"));
        assertThrows(IllegalArgumentException.class, () -> PolicyOptions.builder().warnAfterDays(0));
    }

    @Test
    void scopesAndCreationDateAreJudged() throws Exception {
        PolicyReport missingScope = check(jwtIssuedDaysAgo(0), simulator.options().build(),
                PolicyOptions.builder().requiredScopes(List.of("CS", "VM")).tokenSource("credential 'x'").build());
        assertEquals(CheckStatus.FAIL, missingScope.check("scopes").orElseThrow().status());
        assertTrue(missingScope.check("scopes").orElseThrow().message().contains("VM"));
        assertEquals("credential 'x'", missingScope.tokenSource().orElseThrow());

        String admin = simulator.mintJwt("admin@example.com", List.of("CS", "ADMIN"), null, 0);
        PolicyReport extra = check(admin, simulator.options().build(),
                PolicyOptions.builder().extraScopes(Severity.FAIL).build());
        assertEquals(CheckStatus.FAIL, extra.check("scopes").orElseThrow().status());
        assertTrue(extra.check("scopes").orElseThrow().message().contains("ADMIN"));

        String opaque = simulator.mintOpaque("opaque@example.com", List.of("CS"));
        PolicyReport unknownAge = check(opaque, simulator.options().build(), PolicyOptions.defaults());
        assertEquals(CheckStatus.UNKNOWN, rotation(unknownAge).status());
        assertEquals(CheckStatus.PASS, unknownAge.status(), "unknown facts do not change the result");

        PolicyReport dated = check(opaque, simulator.options().build(), PolicyOptions.builder()
                .tokenCreated(LocalDate.now(ZoneOffset.UTC).minusDays(80)).build());
        assertEquals(CheckStatus.WARN, rotation(dated).status());
        assertTrue(rotation(dated).message().contains("80 days old"), rotation(dated).message());
    }

    @Test
    void auditLogRecordsUsesWithoutTheToken(@TempDir Path temp) throws Exception {
        String token = jwtIssuedDaysAgo(0);
        Path audit = temp.resolve("audit.jsonl");
        SessionOptions options = simulator.options()
                .platform(Platform.JENKINS)
                .auditLog(audit)
                .environment("prod")
                .run("42", "https://ci.example.invalid/job/scan/42/")
                .build();

        PolicyReport report;
        try (QualysSession session = QualysSession.open(options, Credential.apiToken(token.toCharArray()))) {
            assertTrue(Files.exists(audit), "the log is created when the session opens");
            session.login();
            report = session.check(PolicyOptions.defaults());
        }

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(audit)));
        String text = Files.readString(audit);
        assertFalse(text.contains(token), "the audit log never holds the token");
        assertFalse(text.contains(token.substring(token.lastIndexOf('.') + 1)), "nor its signature");
        List<String> lines = text.lines().toList();
        assertEquals(2, lines.size(), text);
        Gson gson = new Gson();
        JsonObject login = gson.fromJson(lines.get(0), JsonObject.class);
        JsonObject verify = gson.fromJson(lines.get(1), JsonObject.class);
        assertEquals("login", login.get("operation").getAsString());
        assertEquals("verify", verify.get("operation").getAsString());
        for (JsonObject record : List.of(login, verify)) {
            assertEquals("ok", record.get("outcome").getAsString());
            assertEquals("jenkins", record.get("platform").getAsString());
            assertEquals("prod", record.get("environment").getAsString());
            assertEquals("42", record.get("run_id").getAsString());
            assertEquals("https://ci.example.invalid/job/scan/42/", record.get("run_url").getAsString());
            assertEquals(report.tokenFingerprint(), record.get("token_fingerprint").getAsString());
        }
    }

    @Test
    void auditLogOfPasswordHoldsNoPassword(@TempDir Path temp) throws Exception {
        String user = GatewaySimulator.uniqueUser("audited");
        simulator.addUser(user, CANARY_PASSWORD);
        Path audit = temp.resolve("audit.jsonl");
        SessionOptions options = simulator.options().platform(Platform.JENKINS).auditLog(audit).build();

        String jwt;
        try (QualysSession session = QualysSession.open(options,
                Credential.usernamePassword(user, CANARY_PASSWORD.toCharArray()))) {
            session.check(PolicyOptions.defaults());
            char[] bearer = session.bearerToken();
            jwt = new String(bearer);
            Secrets.clear(bearer);
        }

        String text = Files.readString(audit);
        assertFalse(text.contains(CANARY_PASSWORD), text);
        assertFalse(text.contains(jwt), text);
        assertTrue(text.contains("\"operation\":\"auth\""), text);
        assertTrue(text.contains("\"user\":\"" + user + "\""), text);
    }

    @Test
    void sharedTokenIsFoundInTheAuditLog(@TempDir Path temp) throws Exception {
        String token = jwtIssuedDaysAgo(0);
        Path audit = temp.resolve("audit.jsonl");

        PolicyReport dev = check(token, simulator.options().auditLog(audit).environment("dev").build(),
                PolicyOptions.defaults());
        assertEquals(CheckStatus.PASS, dev.check("separate-tokens").orElseThrow().status());

        PolicyReport prod = check(token, simulator.options().auditLog(audit).environment("prod").build(),
                PolicyOptions.defaults());
        PolicyCheck shared = prod.check("separate-tokens").orElseThrow();
        assertEquals(CheckStatus.WARN, shared.status());
        assertTrue(shared.message().contains("DEV and PROD"), shared.message());

        PolicyReport strict = check(token, simulator.options().auditLog(audit).environment("prod").build(),
                PolicyOptions.builder().sharedToken(Severity.FAIL).build());
        assertEquals(CheckStatus.FAIL, strict.status());
    }

    @Test
    void revokedTokenFailsVerification() throws Exception {
        String token = jwtIssuedDaysAgo(0);
        try (QualysSession session = QualysSession.open(simulator.options().build(),
                Credential.apiToken(token.toCharArray()))) {
            simulator.revokeToken(token);
            PolicyReport report = session.check(PolicyOptions.defaults());
            assertEquals(CheckStatus.FAIL, report.status());
            assertEquals(22, report.exitCode());
            PolicyCheck verification = report.check("verification").orElseThrow();
            assertEquals(CheckStatus.FAIL, verification.status());
            assertTrue(verification.message().contains("expired or revoked"), verification.message());
            assertFalse(verification.message().contains(token), verification.message());
        }
    }

    @Test
    void sessionSettingsAreCheckedAtOpen(@TempDir Path temp) throws Exception {
        String token = jwtIssuedDaysAgo(0);

        InvalidArgumentException label = assertThrows(InvalidArgumentException.class, () -> QualysSession.open(
                simulator.options().environment("pre prod").build(), Credential.apiToken(token.toCharArray())));
        assertTrue(label.getMessage().contains("pre prod"), label.getMessage());

        Path nowhere = temp.resolve("missing-dir").resolve("audit.jsonl");
        LocalIoException unwritable = assertThrows(LocalIoException.class, () -> QualysSession.open(
                simulator.options().auditLog(nowhere).build(), Credential.apiToken(token.toCharArray())));
        assertTrue(unwritable.getMessage().contains(nowhere.toString()), unwritable.getMessage());
        assertFalse(unwritable.getMessage().contains(token), unwritable.getMessage());
    }
}
