package io.qualysciauth.jenkins;

import hudson.AbortException;
import hudson.FilePath;
import hudson.Launcher;
import hudson.console.ConsoleLogFilter;
import hudson.model.Result;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.slaves.WorkspaceList;
import io.qualysciauth.bridge.Gateway;
import io.qualysciauth.bridge.PolicyOptions;
import io.qualysciauth.bridge.ProxySettings;
import io.qualysciauth.bridge.QualysAuthException;
import io.qualysciauth.bridge.Secrets;
import io.qualysciauth.bridge.SessionOptions;
import io.qualysciauth.bridge.binding.BoundAuth;
import io.qualysciauth.bridge.binding.BoundRegistry;
import io.qualysciauth.bridge.binding.CredentialSource;
import io.qualysciauth.bridge.binding.PolicyVerdict;
import io.qualysciauth.bridge.binding.QualysAuthBinding;
import io.qualysciauth.bridge.binding.RegistryBinding;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jenkins.model.Jenkins;
import jenkins.util.BuildListenerAdapter;
import org.jenkinsci.plugins.workflow.actions.WarningAction;
import org.jenkinsci.plugins.workflow.graph.FlowNode;
import org.jenkinsci.plugins.workflow.steps.BodyInvoker;
import org.jenkinsci.plugins.workflow.steps.EnvironmentExpander;
import org.jenkinsci.plugins.workflow.steps.GeneralNonBlockingStepExecution;
import org.jenkinsci.plugins.workflow.steps.StepContext;

/**
 * Runs {@code withQualysAuth}: the login, the policy check and the registry
 * login happen on a background thread (they call the network, so they must
 * not hold the CPS VM thread), then the block starts with the variables and
 * the masking filter in its context. After the block, the private
 * {@code DOCKER_CONFIG} is deleted and the build's audit log is archived.
 *
 * <p>What each option means is decided in the bridge's binding package
 * ({@link QualysAuthBinding}, {@link PolicyVerdict}, {@link RegistryBinding});
 * this class applies it with Jenkins APIs.
 */
final class QualysAuthExecution extends GeneralNonBlockingStepExecution {
    private static final long serialVersionUID = 2L;

    /** Upper bound of a policy file read from the workspace, in bytes. */
    private static final int MAX_POLICY_FILE_BYTES = 1024 * 1024;

    private final transient QualysAuthStep step;

    QualysAuthExecution(QualysAuthStep step, StepContext context) {
        super(context);
        this.step = step;
    }

    @Override
    public boolean start() {
        run(this::authenticateAndStartBody);
        return false;
    }

    private void authenticateAndStartBody() throws Exception {
        StepContext context = getContext();
        Run<?, ?> run = context.get(Run.class);
        TaskListener listener = context.get(TaskListener.class);
        FilePath workspace = context.get(FilePath.class);
        PrintStream log = listener.getLogger();
        QualysAuthGlobalConfiguration global = QualysAuthGlobalConfiguration.get();
        // The native library runs in the controller's JVM, so the audit log
        // lives in the build's directory on the controller; see QualysAuthBinding.
        Path auditLog = QualysAuthBinding.auditLogIn(run.getRootDir().toPath());

        AgentDirectory dockerConfig = null;
        try {
            Gateway gateway = QualysAuthBinding.resolveGateway(step.getPod(), step.getGatewayUrl(),
                    global.getDefaultPod(), global.getDefaultGatewayUrl());
            boolean registryLogin = RegistryBinding.requested(step.getRegistry(), step.getRegistryCredentialsId());
            PolicyOptions policy = policyOptions(workspace);
            CredentialSource source = JenkinsCredentials.forRun(step.getCredentialsId(), run);

            try (ProxySettings proxy = JenkinsProxy.forGateway(gateway);
                    BoundAuth bound = QualysAuthBinding.bind(source, gateway,
                            sessionTemplate(global, proxy, run, auditLog), policy)) {
                if (proxy != null) {
                    log.println("withQualysAuth: using Jenkins's proxy " + proxy.host() + ":" + proxy.port());
                }
                log.println("withQualysAuth: " + QualysAuthBinding.describe(bound.summary()));
                applyVerdict(PolicyVerdict.judge(bound.policyReport().orElseThrow(), step.isUnstableOnWarning()),
                        run, listener);

                Map<String, String> variables = new LinkedHashMap<>(bound.variables());
                List<char[]> forms = new ArrayList<>(bound.maskForms());
                char[] token = bound.token();
                try {
                    if (registryLogin) {
                        dockerConfig = loginToRegistry(run, workspace, global, log, variables, forms);
                    }
                    startBody(run, bound.tokenVariable(), token, variables, forms,
                            new Cleanup(dockerConfig, auditLog.toString()));
                } finally {
                    Secrets.clear(token);
                    Secrets.clearAll(forms);
                }
            }
        } catch (QualysAuthException e) {
            cleanUpBeforeBody(dockerConfig, run, listener, auditLog);
            throw new AbortException("withQualysAuth: " + e.getMessage() + " [" + e.code().wireName() + "]");
        } catch (Exception e) {
            cleanUpBeforeBody(dockerConfig, run, listener, auditLog);
            throw e;
        }
    }

    private SessionOptions sessionTemplate(QualysAuthGlobalConfiguration global, ProxySettings proxy, Run<?, ?> run,
            Path auditLog) {
        String rootUrl = Jenkins.get().getRootUrl();
        return global.sessionTemplate(proxy).toBuilder()
                .auditLog(auditLog)
                .environment(step.getEnvironment())
                .run(run.getId(), rootUrl == null ? null : rootUrl + run.getUrl())
                .build();
    }

    /** Reads the policy file that {@link QualysAuthBinding#workspacePolicyFile} chooses from the workspace. */
    private PolicyOptions policyOptions(FilePath workspace) throws Exception {
        PolicyOptions.Builder builder = PolicyOptions.builder()
                .tokenSource("Jenkins credential '" + step.getCredentialsId() + "'");
        QualysAuthBinding.WorkspacePolicyFile choice = QualysAuthBinding.workspacePolicyFile(step.getPolicyFile());
        if (workspace == null) {
            if (choice.required()) {
                throw new AbortException("withQualysAuth: policyFile: '" + choice.path() + "' needs a workspace; "
                        + "run the step inside a node block");
            }
            return builder.build();
        }
        FilePath file = workspace.child(choice.path());
        if (!file.exists()) {
            if (choice.required()) {
                throw new AbortException("withQualysAuth: the policy file " + file.getRemote() + " does not "
                        + "exist; check policyFile: '" + choice.path() + "', which is relative to the workspace");
            }
            return builder.build();
        }
        byte[] content;
        try (InputStream in = file.read()) {
            content = in.readNBytes(MAX_POLICY_FILE_BYTES + 1);
        }
        if (content.length > MAX_POLICY_FILE_BYTES) {
            throw new AbortException("withQualysAuth: the policy file " + file.getRemote() + " is larger than "
                    + MAX_POLICY_FILE_BYTES + " bytes; a policy file holds a few settings");
        }
        return builder.policyText(new String(content, StandardCharsets.UTF_8), file.getRemote()).build();
    }

    /**
     * Fails the step, or marks the build and this step's node UNSTABLE, as
     * the verdict decides. The caller archives the audit log of a failed step.
     */
    private void applyVerdict(PolicyVerdict verdict, Run<?, ?> run, TaskListener listener)
            throws IOException, InterruptedException {
        verdict.lines().forEach(line -> listener.getLogger().println("withQualysAuth: " + line));
        switch (verdict.outcome()) {
            case FAILURE -> throw new AbortException("withQualysAuth: " + verdict.message());
            case UNSTABLE -> {
                run.setResult(Result.UNSTABLE);
                FlowNode node = getContext().get(FlowNode.class);
                if (node != null) {
                    node.addOrReplaceAction(new WarningAction(Result.UNSTABLE).withMessage(verdict.message()));
                }
            }
            case SUCCESS -> {
                // Warnings that do not change the result were printed above.
            }
        }
    }

    /** Logs in to the step's registry; the returned directory is deleted after the block. */
    private AgentDirectory loginToRegistry(Run<?, ?> run, FilePath workspace, QualysAuthGlobalConfiguration global,
            PrintStream log, Map<String, String> variables, List<char[]> forms) throws Exception {
        if (workspace == null) {
            throw new AbortException("withQualysAuth: registry: needs a workspace for the block's DOCKER_CONFIG; "
                    + "run the step inside a node block");
        }
        FilePath tempDir = WorkspaceList.tempDir(workspace);
        if (tempDir == null) {
            throw new AbortException("withQualysAuth: the workspace " + workspace.getRemote()
                    + " has no parent directory for its temporary directory");
        }
        CredentialSource source = JenkinsCredentials.forRun(step.getRegistryCredentialsId(), run);
        String host = RegistryBinding.requestHost(step.getRegistry());
        try (ProxySettings proxy = JenkinsProxy.forHost(host)) {
            if (proxy != null) {
                log.println("withQualysAuth: using Jenkins's proxy " + proxy.host() + ":" + proxy.port()
                        + " for the registry " + host);
            }
            BoundRegistry bound = RegistryBinding.login(source, step.getRegistry(), null, AgentDirectory.in(tempDir),
                    global.sessionTemplate(proxy));
            if (!(bound.directory() instanceof AgentDirectory directory)) {
                bound.close();
                throw new IllegalStateException("the registry login returned a directory of another kind: "
                        + bound.directory());
            }
            log.println("withQualysAuth: " + bound.describe());
            forms.addAll(bound.maskForms());
            variables.putAll(bound.variables());
            bound.detach();
            return directory;
        }
    }

    private void startBody(Run<?, ?> run, String tokenVariable, char[] token, Map<String, String> variables,
            List<char[]> forms, Cleanup cleanup) throws Exception {
        TokenEnvironment environment = new TokenEnvironment(tokenVariable, token, variables);
        MaskingFilter filter = new MaskingFilter(forms, run.getCharset());
        getContext().newBodyInvoker()
                .withContext(EnvironmentExpander.merge(getContext().get(EnvironmentExpander.class), environment))
                .withContext(BodyInvoker.mergeConsoleLogFilters(getContext().get(ConsoleLogFilter.class), filter))
                .withCallback(cleanup)
                .start();
    }

    /** Deletes a private DOCKER_CONFIG and archives the audit log when the step fails before its block. */
    private static void cleanUpBeforeBody(AgentDirectory dockerConfig, Run<?, ?> run, TaskListener listener,
            Path auditLog) {
        try {
            if (dockerConfig != null) {
                dockerConfig.delete();
            }
            archiveAuditLog(run, listener, auditLog);
        } catch (IOException | InterruptedException | RuntimeException e) {
            listener.error("withQualysAuth: cleaning up after the failure failed: " + e);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Archives the build's audit log as the artifact
     * {@value QualysAuthBinding#AUDIT_LOG_FILE}. Every step of the build
     * appends to the same file, so the last archive contains every record.
     * {@code pickArtifactManager} (not {@code getArtifactManager}) lets a
     * configured artifact manager, such as one that stores in S3, take the file.
     */
    static void archiveAuditLog(Run<?, ?> run, TaskListener listener, Path auditLog)
            throws IOException, InterruptedException {
        if (!Files.isRegularFile(auditLog)) {
            return;
        }
        FilePath directory = new FilePath(auditLog.getParent().toFile());
        run.pickArtifactManager().archive(directory, new Launcher.LocalLauncher(listener),
                BuildListenerAdapter.wrap(listener),
                Map.of(QualysAuthBinding.AUDIT_LOG_FILE, auditLog.getFileName().toString()));
    }

    /** After the block: deletes the private DOCKER_CONFIG, then archives the audit log. */
    private final class Cleanup extends TailCall {
        private static final long serialVersionUID = 1L;

        private final AgentDirectory dockerConfig;
        private final String auditLog;

        Cleanup(AgentDirectory dockerConfig, String auditLog) {
            this.dockerConfig = dockerConfig;
            this.auditLog = auditLog;
        }

        @Override
        protected void finished(StepContext context) throws Exception {
            TaskListener listener = context.get(TaskListener.class);
            try {
                if (dockerConfig != null) {
                    dockerConfig.delete();
                }
            } finally {
                archiveAuditLog(context.get(Run.class), listener, Path.of(auditLog));
            }
        }
    }
}
