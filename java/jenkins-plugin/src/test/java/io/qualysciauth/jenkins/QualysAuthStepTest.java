package io.qualysciauth.jenkins;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.cloudbees.plugins.credentials.CredentialsScope;
import com.cloudbees.plugins.credentials.SecretBytes;
import com.cloudbees.plugins.credentials.SystemCredentialsProvider;
import com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl;
import hudson.model.Result;
import hudson.util.Secret;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import net.sf.json.JSONObject;
import org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl;
import org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

/**
 * The step in a real Jenkins (JenkinsRule) against the gateway simulator
 * binary, started on 127.0.0.1 by the test and stopped after it.
 *
 * <p>NOTE: this module needs repo.jenkins-ci.org, so these tests have not
 * been compiled or run on this project's CI machines; the decisions they
 * exercise are tested in the bridge's binding package.
 */
@WithJenkins
class QualysAuthStepTest {
    private JenkinsRule jenkins;
    private Process simulator;
    private String url;
    private String caPem;
    private HttpClient admin;

    @BeforeEach
    void startSimulator(JenkinsRule rule) throws Exception {
        jenkins = rule;
        simulator = new ProcessBuilder(System.getProperty("qualys.test.simulator"), "--exit-on-stdin-eof")
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String line = new BufferedReader(new InputStreamReader(simulator.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        JSONObject ready = JSONObject.fromObject(line);
        url = ready.getString("url");
        caPem = ready.getString("ca_pem");

        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("simulator", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII))));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        admin = HttpClient.newBuilder().sslContext(tls).build();

        QualysAuthGlobalConfiguration global = QualysAuthGlobalConfiguration.get();
        global.setDefaultGatewayUrl(url);
        global.setCaCertificates(caPem);
    }

    @AfterEach
    void stopSimulator() throws Exception {
        // The simulator exits when its standard input closes.
        simulator.getOutputStream().close();
        if (!simulator.waitFor(10, TimeUnit.SECONDS)) {
            simulator.destroyForcibly();
        }
    }

    private String mintToken() throws Exception {
        return mintToken(0);
    }

    private String mintToken(int issuedDaysAgo) throws Exception {
        HttpResponse<String> response = admin.send(HttpRequest.newBuilder(URI.create(url + "/__simulator/tokens"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"subject\":\"jenkins@example.com\",\"modules\":[\"CS\"],"
                        + "\"issued_days_ago\":" + issuedDaysAgo + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        return JSONObject.fromObject(response.body()).getString("token");
    }

    private void addToken(String id, String token) {
        SystemCredentialsProvider.getInstance().getCredentials().add(
                new StringCredentialsImpl(CredentialsScope.GLOBAL, id, "", Secret.fromString(token)));
    }

    private WorkflowRun run(String script, Result expected) throws Exception {
        WorkflowJob job = jenkins.createProject(WorkflowJob.class);
        job.setDefinition(new CpsFlowDefinition(script, true));
        return jenkins.assertBuildStatus(expected, job.scheduleBuild2(0));
    }

    @Test
    void secretTextTokenIsBoundAndMasked() throws Exception {
        String token = mintToken();
        SystemCredentialsProvider.getInstance().getCredentials().add(
                new StringCredentialsImpl(CredentialsScope.GLOBAL, "qualys-token", "", Secret.fromString(token)));
        WorkflowRun build = run("node { withQualysAuth(credentialsId: 'qualys-token') {\n"
                + "  sh 'echo \"raw=$QUALYS_ACCESS_TOKEN\"; printf %s \"$QUALYS_ACCESS_TOKEN\" | base64 -w0; echo;"
                + " echo \"gateway=$QUALYS_GATEWAY_URL pod=[${QUALYS_POD:-}]\"'\n"
                + "} }", Result.SUCCESS);

        jenkins.assertLogContains("raw=****", build);
        jenkins.assertLogContains("gateway=" + url + " pod=[]", build);
        jenkins.assertLogContains("QScanner backend as jenkins@example.com", build);
        jenkins.assertLogNotContains(token, build);
        jenkins.assertLogNotContains(Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8)), build);
    }

    @Test
    void usernamePasswordUsesTheSensor() throws Exception {
        SystemCredentialsProvider.getInstance().getCredentials().add(new UsernamePasswordCredentialsImpl(
                CredentialsScope.GLOBAL, "qualys-user", "", "demo-user", "demo-password"));
        WorkflowRun build = run("node { withQualysAuth(credentialsId: 'qualys-user', gatewayUrl: '" + url + "') {\n"
                + "  sh 'echo \"jwt=$QUALYS_ACCESS_TOKEN\"; echo demo-password'\n"
                + "} }", Result.SUCCESS);

        jenkins.assertLogContains("CICD Sensor backend as demo-user", build);
        jenkins.assertLogContains("jwt=****", build);
        jenkins.assertLogNotContains("demo-password", build);
    }

    @Test
    void otherCredentialTypesAreRejected() throws Exception {
        SystemCredentialsProvider.getInstance().getCredentials().add(new FileCredentialsImpl(CredentialsScope.GLOBAL,
                "a-file", "", "token.txt", SecretBytes.fromBytes("content".getBytes(StandardCharsets.UTF_8))));
        WorkflowRun build = run("withQualysAuth(credentialsId: 'a-file') { echo 'unreachable' }", Result.FAILURE);

        jenkins.assertLogContains("only on Jenkins", build);
        jenkins.assertLogContains("[credential_not_allowed]", build);
        jenkins.assertLogNotContains("unreachable", build);
    }

    @Test
    void missingCredentialIsNamed() throws Exception {
        WorkflowRun build = run("withQualysAuth(credentialsId: 'nope', pod: 'US1') { echo 'unreachable' }",
                Result.FAILURE);
        jenkins.assertLogContains("no credential with ID 'nope'", build);
        assertTrue(build.getLog().contains("[missing_credential]"));
    }

    @Test
    void auditLogIsArchivedWithoutTheToken() throws Exception {
        String token = mintToken();
        addToken("audited-token", token);
        WorkflowRun build = run("node { withQualysAuth(credentialsId: 'audited-token', environment: 'prod') {\n"
                + "  echo 'inside'\n"
                + "} }", Result.SUCCESS);

        assertTrue(build.getArtifactManager().root().child("qualys-ci-auth-audit.jsonl").exists());
        String audit;
        try (var in = build.getArtifactManager().root().child("qualys-ci-auth-audit.jsonl").open()) {
            audit = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(audit.contains("\"operation\":\"login\""), audit);
        assertTrue(audit.contains("\"environment\":\"prod\""), audit);
        assertTrue(audit.contains("\"run_id\":\"" + build.getId() + "\""), audit);
        assertFalse(audit.contains(token), "the audit log holds no token");
        jenkins.assertLogContains("token policy: every check passes", build);
    }

    @Test
    void policyWarningMarksUnstableWhenAsked() throws Exception {
        addToken("old-token", mintToken(80));
        WorkflowRun lenient = run("node { withQualysAuth(credentialsId: 'old-token') { echo 'body ran' } }",
                Result.SUCCESS);
        jenkins.assertLogContains("token policy warning (rotation): the token is 80 days old", lenient);
        jenkins.assertLogContains("body ran", lenient);

        WorkflowRun strict = run("node { withQualysAuth(credentialsId: 'old-token', unstableOnWarning: true) {"
                + " echo 'body ran' } }", Result.UNSTABLE);
        jenkins.assertLogContains("marked UNSTABLE", strict);
        jenkins.assertLogContains("body ran", strict);
    }

    @Test
    void policyFailureStopsBeforeTheBlock() throws Exception {
        addToken("expired-policy-token", mintToken(100));
        WorkflowRun build = run("node { withQualysAuth(credentialsId: 'expired-policy-token') { echo 'unreachable' } }",
                Result.FAILURE);
        jenkins.assertLogContains("the token policy failed: rotation: the token is 100 days old", build);
        jenkins.assertLogNotContains("unreachable", build);
        assertTrue(build.getArtifactManager().root().child("qualys-ci-auth-audit.jsonl").exists(),
                "the audit log of a failed step is archived too");
    }

    @Test
    void policyFileComesFromTheWorkspace() throws Exception {
        addToken("policy-file-token", mintToken(40));
        WorkflowRun build = run("node {\n"
                + "  writeFile file: 'ci/qualys.toml', text: '[rotation]\\nwarn_after_days = 30\\nfail_after_days = 35\\n'\n"
                + "  withQualysAuth(credentialsId: 'policy-file-token', policyFile: 'ci/qualys.toml') { echo 'unreachable' }\n"
                + "}", Result.FAILURE);
        jenkins.assertLogContains("40 days old, past the 35-day limit", build);

        WorkflowRun outside = run("node { withQualysAuth(credentialsId: 'policy-file-token', policyFile: '../x.toml') {"
                + " echo 'unreachable' } }", Result.FAILURE);
        jenkins.assertLogContains("is not inside the workspace", outside);
    }

    @Test
    void registryOptionsComeInPairs() throws Exception {
        addToken("pair-token", mintToken());
        WorkflowRun build = run("node { withQualysAuth(credentialsId: 'pair-token', registry: 'registry.example.com') {"
                + " echo 'unreachable' } }", Result.FAILURE);
        jenkins.assertLogContains("no registryCredentialsId", build);
        jenkins.assertLogNotContains("unreachable", build);
    }
}
