package io.qualysciauth.jenkins;

import hudson.AbortException;
import hudson.console.ConsoleLogFilter;
import hudson.model.Run;
import hudson.model.TaskListener;
import io.qualysciauth.bridge.Gateway;
import io.qualysciauth.bridge.ProxySettings;
import io.qualysciauth.bridge.QualysAuthException;
import io.qualysciauth.bridge.Secrets;
import io.qualysciauth.bridge.binding.BoundAuth;
import io.qualysciauth.bridge.binding.CredentialSource;
import io.qualysciauth.bridge.binding.QualysAuthBinding;
import java.io.PrintStream;
import java.util.List;
import org.jenkinsci.plugins.workflow.steps.BodyExecutionCallback;
import org.jenkinsci.plugins.workflow.steps.BodyInvoker;
import org.jenkinsci.plugins.workflow.steps.EnvironmentExpander;
import org.jenkinsci.plugins.workflow.steps.GeneralNonBlockingStepExecution;
import org.jenkinsci.plugins.workflow.steps.StepContext;

/**
 * Runs {@code withQualysAuth}: the login happens on a background thread
 * (it calls the network, so it must not hold the CPS VM thread), then the
 * block starts with the variables and the masking filter in its context.
 */
final class QualysAuthExecution extends GeneralNonBlockingStepExecution {
    private static final long serialVersionUID = 1L;

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
        Run<?, ?> run = getContext().get(Run.class);
        TaskListener listener = getContext().get(TaskListener.class);
        PrintStream log = listener.getLogger();
        QualysAuthGlobalConfiguration global = QualysAuthGlobalConfiguration.get();

        try {
            Gateway gateway = QualysAuthBinding.resolveGateway(step.getPod(), step.getGatewayUrl(),
                    global.getDefaultPod(), global.getDefaultGatewayUrl());
            CredentialSource source = JenkinsCredentials.forRun(step.getCredentialsId(), run);
            try (ProxySettings proxy = JenkinsProxy.forGateway(gateway);
                    BoundAuth bound = QualysAuthBinding.bind(source, gateway, global.sessionTemplate(proxy))) {
                if (proxy != null) {
                    log.println("withQualysAuth: using Jenkins's proxy " + proxy.host() + ":" + proxy.port());
                }
                log.println("withQualysAuth: " + QualysAuthBinding.describe(bound.summary()));
                startBody(run, bound);
            }
        } catch (QualysAuthException e) {
            throw new AbortException("withQualysAuth: " + e.getMessage() + " [" + e.code().wireName() + "]");
        }
    }

    private void startBody(Run<?, ?> run, BoundAuth bound) throws Exception {
        char[] token = bound.token();
        List<char[]> forms = bound.maskForms();
        try {
            TokenEnvironment environment = new TokenEnvironment(bound.tokenVariable(), token, bound.variables());
            MaskingFilter filter = new MaskingFilter(forms, run.getCharset());
            getContext().newBodyInvoker()
                    .withContext(EnvironmentExpander.merge(getContext().get(EnvironmentExpander.class), environment))
                    .withContext(BodyInvoker.mergeConsoleLogFilters(getContext().get(ConsoleLogFilter.class), filter))
                    .withCallback(BodyExecutionCallback.wrap(getContext()))
                    .start();
        } finally {
            Secrets.clear(token);
            Secrets.clearAll(forms);
        }
    }
}
