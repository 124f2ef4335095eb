package io.qualysciauth.bridge.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qualysciauth.bridge.CheckStatus;
import io.qualysciauth.bridge.Gateway;
import io.qualysciauth.bridge.GatewaySimulator;
import io.qualysciauth.bridge.InvalidArgumentException;
import io.qualysciauth.bridge.PolicyOptions;
import io.qualysciauth.bridge.PolicyReport;
import io.qualysciauth.bridge.QualysAuth;
import io.qualysciauth.bridge.SessionOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code withQualysAuth} does with the token policy and the audit log, tested without Jenkins. */
class PolicyBindingIT {
    private static GatewaySimulator simulator;

    @BeforeAll
    static void startSimulator() throws Exception {
        simulator = GatewaySimulator.start();
    }

    @AfterAll
    static void stopSimulator() throws Exception {
        simulator.close();
    }

    private static PolicyReport bindAndCheck(int issuedDaysAgo, SessionOptions template) throws Exception {
        String token = simulator.mintJwt("jenkins@example.com", List.of("CS"), null, issuedDaysAgo);
        Gateway gateway = QualysAuth.resolveGateway(null, simulator.url());
        try (BoundAuth bound = QualysAuthBinding.bind(CredentialSource.secretText("qualys-token", token.toCharArray()),
                gateway, template, PolicyOptions.builder().tokenSource("Jenkins credential 'qualys-token'").build())) {
            assertTrue(bound.toString().contains("policy="), bound.toString());
            return bound.policyReport().orElseThrow();
        }
    }

    private static SessionOptions template() {
        return SessionOptions.builder().caPem(simulator.caPem()).maxAttempts(2).build();
    }

    @Test
    void passingPolicyLeavesTheBuildAlone() throws Exception {
        PolicyReport report = bindAndCheck(0, template());
        assertEquals("Jenkins credential 'qualys-token'", report.tokenSource().orElseThrow());

        for (boolean unstableOnWarning : new boolean[] {false, true}) {
            PolicyVerdict verdict = PolicyVerdict.judge(report, unstableOnWarning);
            assertEquals(PolicyVerdict.Outcome.SUCCESS, verdict.outcome());
            assertEquals(1, verdict.lines().size(), verdict.lines().toString());
            assertTrue(verdict.lines().get(0).contains(report.tokenFingerprint()), verdict.lines().toString());
        }
    }

    @Test
    void warningsAreUnstableOnlyWhenAsked() throws Exception {
        PolicyReport report = bindAndCheck(80, template());
        assertEquals(CheckStatus.WARN, report.status());

        PolicyVerdict lenient = PolicyVerdict.judge(report, false);
        assertEquals(PolicyVerdict.Outcome.SUCCESS, lenient.outcome());
        assertTrue(lenient.lines().get(0).startsWith("token policy warning (rotation): the token is 80 days old"),
                lenient.lines().toString());
        assertTrue(lenient.lines().get(1).contains("set unstableOnWarning: true"), lenient.lines().toString());

        PolicyVerdict strict = PolicyVerdict.judge(report, true);
        assertEquals(PolicyVerdict.Outcome.UNSTABLE, strict.outcome());
        assertEquals("token policy warnings: rotation", strict.message());
        assertTrue(strict.lines().get(1).contains("marked UNSTABLE"), strict.lines().toString());
    }

    @Test
    void failuresFailTheStep() throws Exception {
        PolicyReport report = bindAndCheck(100, template());
        assertEquals(CheckStatus.FAIL, report.status());

        PolicyVerdict verdict = PolicyVerdict.judge(report, false);
        assertEquals(PolicyVerdict.Outcome.FAILURE, verdict.outcome());
        assertTrue(verdict.message().startsWith("the token policy failed: rotation: the token is 100 days old"),
                verdict.message());
        assertTrue(verdict.lines().get(0).startsWith("token policy failure (rotation)"), verdict.lines().toString());
    }

    @Test
    void buildAuditLogIsWrittenBesideTheBuild(@TempDir Path buildDirectory) throws Exception {
        Path audit = QualysAuthBinding.auditLogIn(buildDirectory);
        assertEquals(buildDirectory.resolve("qualys-ci-auth-audit.jsonl"), audit);

        String token = simulator.mintJwt("jenkins@example.com", List.of("CS"), null, 0);
        SessionOptions template = template().toBuilder().auditLog(audit).environment("prod")
                .run("7", "https://jenkins.example.invalid/job/app/7/").build();
        try (BoundAuth bound = QualysAuthBinding.bind(CredentialSource.secretText("qualys-token", token.toCharArray()),
                QualysAuth.resolveGateway(null, simulator.url()), template, PolicyOptions.defaults())) {
            assertEquals("prod", bound.policyReport().orElseThrow().environment().orElseThrow());
        }

        String text = Files.readString(audit);
        assertEquals(2, text.lines().count(), text);
        assertTrue(text.contains("\"operation\":\"login\""), text);
        assertTrue(text.contains("\"operation\":\"verify\""), text);
        assertTrue(text.contains("\"platform\":\"jenkins\""), text);
        assertTrue(text.contains("\"run_id\":\"7\""), text);
        assertFalse(text.contains(token), text);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(audit)));
    }

    @Test
    void policyFileStaysInTheWorkspace() throws Exception {
        assertEquals(new QualysAuthBinding.WorkspacePolicyFile("qualys-ci-auth.toml", false),
                QualysAuthBinding.workspacePolicyFile(null));
        assertEquals(new QualysAuthBinding.WorkspacePolicyFile("ci/policy.toml", true),
                QualysAuthBinding.workspacePolicyFile(" ci/policy.toml "));
        assertEquals(new QualysAuthBinding.WorkspacePolicyFile("ci/policy.toml", true),
                QualysAuthBinding.workspacePolicyFile("ci\\policy.toml"));

        for (String outside : List.of("/etc/passwd", "../secrets/policy.toml", "ci/../../x.toml", "C:\\p.toml")) {
            InvalidArgumentException error = assertThrows(InvalidArgumentException.class,
                    () -> QualysAuthBinding.workspacePolicyFile(outside));
            assertTrue(error.getMessage().contains("not inside the workspace"), error.getMessage());
        }
    }
}
