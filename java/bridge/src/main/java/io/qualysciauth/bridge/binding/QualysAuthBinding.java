package io.qualysciauth.bridge.binding;

import io.qualysciauth.bridge.Backend;
import io.qualysciauth.bridge.Gateway;
import io.qualysciauth.bridge.InvalidArgumentException;
import io.qualysciauth.bridge.LoginSummary;
import io.qualysciauth.bridge.Platform;
import io.qualysciauth.bridge.PolicyOptions;
import io.qualysciauth.bridge.PolicyReport;
import io.qualysciauth.bridge.QualysAuth;
import io.qualysciauth.bridge.QualysAuthException;
import io.qualysciauth.bridge.QualysSession;
import io.qualysciauth.bridge.SessionOptions;
import io.qualysciauth.bridge.Secrets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the Jenkins step {@code withQualysAuth} decides, as plain Java:
 * which gateway to use (the step's {@code pod} or {@code gatewayUrl}, else
 * the global default), what the credential kind means, what the block
 * gets and what is masked. The Jenkins plugin only adapts Jenkins types to
 * these methods, so this logic is tested without Jenkins.
 *
 * <p>The rule: a "Secret text" credential is an API access token for the
 * QScanner backend; a "Username with password" credential is exchanged for a
 * JWT by the CICD Sensor backend; any other kind is rejected with the rule.
 *
 * <p>The token policy, its effect on the build ({@link PolicyVerdict}) and
 * the registry login ({@link RegistryBinding}) are decided beside this class.
 */
public final class QualysAuthBinding {
    /** The variable that carries the bearer token inside the block. */
    public static final String TOKEN_VARIABLE = "QUALYS_ACCESS_TOKEN";
    /** The variable that carries the gateway's base URL inside the block. */
    public static final String GATEWAY_VARIABLE = "QUALYS_GATEWAY_URL";
    /** The variable that carries the POD name inside the block (unset for a custom gateway). */
    public static final String POD_VARIABLE = "QUALYS_POD";
    /**
     * The file name of a build's audit log, in the build's directory on the
     * controller, and of the artifact it is archived as.
     */
    public static final String AUDIT_LOG_FILE = "qualys-ci-auth-audit.jsonl";
    /** The policy file read from the workspace root when the step names none, as the CLI reads it from its working directory. */
    public static final String DEFAULT_POLICY_FILE = "qualys-ci-auth.toml";

    /**
     * The workspace file to read the policy from, as a path relative to the
     * workspace, and whether a missing file is an error.
     */
    public record WorkspacePolicyFile(String path, boolean required) {
    }

    private QualysAuthBinding() {
    }

    /**
     * Chooses and checks the gateway: the step's own {@code pod} or
     * {@code gatewayUrl} when one is given, else the global default. Blank
     * values count as not given.
     *
     * @throws InvalidArgumentException when the step or the defaults give
     *     both, when nothing is given, and for an invalid POD or URL
     */
    public static Gateway resolveGateway(String stepPod, String stepGatewayUrl, String defaultPod,
            String defaultGatewayUrl) throws QualysAuthException {
        boolean hasStepPod = isSet(stepPod);
        boolean hasStepUrl = isSet(stepGatewayUrl);
        if (hasStepPod && hasStepUrl) {
            throw new InvalidArgumentException("withQualysAuth was given both pod: '" + stepPod.trim()
                    + "' and gatewayUrl: '" + stepGatewayUrl.trim() + "'; pass only one of them");
        }
        if (hasStepPod || hasStepUrl) {
            return QualysAuth.resolveGateway(hasStepPod ? stepPod : null, hasStepUrl ? stepGatewayUrl : null);
        }

        boolean hasDefaultPod = isSet(defaultPod);
        boolean hasDefaultUrl = isSet(defaultGatewayUrl);
        if (hasDefaultPod && hasDefaultUrl) {
            throw new InvalidArgumentException("the global Qualys configuration sets both a default POD ('"
                    + defaultPod.trim() + "') and a default gateway URL ('" + defaultGatewayUrl.trim()
                    + "'); clear one of them, or pass pod: or gatewayUrl: to withQualysAuth");
        }
        if (hasDefaultPod || hasDefaultUrl) {
            return QualysAuth.resolveGateway(hasDefaultPod ? defaultPod : null,
                    hasDefaultUrl ? defaultGatewayUrl : null);
        }
        throw new InvalidArgumentException("no Qualys platform was given: pass pod: (one of "
                + String.join(", ", QualysAuth.podNames()) + ") or gatewayUrl: to withQualysAuth, or set a "
                + "default in the global Qualys configuration");
    }

    /**
     * Returns the backend a credential is for.
     *
     * @throws QualysAuthException when the credential is missing or of a kind
     *     the rule does not allow
     */
    public static Backend backendFor(CredentialSource source) throws QualysAuthException {
        return switch (source.kind()) {
            case USERNAME_PASSWORD -> Backend.CICD_SENSOR;
            case SECRET_TEXT -> Backend.QSCANNER;
            case UNSUPPORTED, NOT_FOUND -> throw source.rejection();
        };
    }

    /**
     * Chooses the workspace file with the token policy: the step's
     * {@code policyFile}, which must exist, else {@value #DEFAULT_POLICY_FILE}
     * when it exists. The path must stay inside the workspace.
     *
     * @throws InvalidArgumentException for an absolute path or one with a
     *     {@code ..} segment
     */
    public static WorkspacePolicyFile workspacePolicyFile(String stepPolicyFile) throws QualysAuthException {
        if (!isSet(stepPolicyFile)) {
            return new WorkspacePolicyFile(DEFAULT_POLICY_FILE, false);
        }
        String path = stepPolicyFile.trim().replace('\\', '/');
        boolean absolute = path.startsWith("/") || path.matches("^[A-Za-z]:.*");
        boolean escapes = List.of(path.split("/")).contains("..");
        if (absolute || escapes) {
            throw new InvalidArgumentException("the policyFile '" + stepPolicyFile.trim() + "' is not inside the "
                    + "workspace; pass a path relative to the workspace without '..', such as "
                    + DEFAULT_POLICY_FILE);
        }
        return new WorkspacePolicyFile(path, true);
    }

    /** Returns the audit log of a build whose directory on the controller is {@code buildDirectory}. */
    public static Path auditLogIn(Path buildDirectory) {
        return buildDirectory.resolve(AUDIT_LOG_FILE);
    }

    /**
     * Authenticates on Jenkins with {@code source} at {@code gateway},
     * verifies the token with the gateway, and returns the variables and
     * mask forms for the block. The source's secret is cleared.
     *
     * @param template connection settings (CA, timeouts, proxy); its gateway,
     *     platform and backend are replaced
     */
    public static BoundAuth bind(CredentialSource source, Gateway gateway, SessionOptions template)
            throws QualysAuthException {
        return bind(source, gateway, template, null);
    }

    /**
     * As {@link #bind(CredentialSource, Gateway, SessionOptions)}, then
     * checks the token policy when {@code policy} is not {@code null}. The
     * check verifies the token once more and, with an audit log in
     * {@code template}, records that verification too. Judge the report
     * with {@link PolicyVerdict#judge}.
     */
    public static BoundAuth bind(CredentialSource source, Gateway gateway, SessionOptions template,
            PolicyOptions policy) throws QualysAuthException {
        Objects.requireNonNull(gateway, "gateway");
        try (CredentialSource owned = source) {
            Backend backend = backendFor(owned);
            SessionOptions options = template.toBuilder()
                    .pod(null)
                    .gatewayUrl(gateway.url())
                    .platform(Platform.JENKINS)
                    .backend(backend)
                    .build();
            try (QualysSession session = QualysSession.open(options, owned.toCredential())) {
                LoginSummary summary = session.login();
                PolicyReport report = policy == null ? null : session.check(policy);
                char[] token = session.bearerToken();
                List<char[]> forms = new ArrayList<>(session.maskForms());
                try {
                    return new BoundAuth(summary, variables(gateway), token, forms, report);
                } catch (RuntimeException e) {
                    Secrets.clear(token);
                    Secrets.clearAll(forms);
                    throw e;
                }
            }
        }
    }

    /** Returns the variables without secrets that the block gets for {@code gateway}. */
    static Map<String, String> variables(Gateway gateway) {
        Map<String, String> variables = new LinkedHashMap<>();
        variables.put(GATEWAY_VARIABLE, gateway.url());
        variables.put(POD_VARIABLE, gateway.pod().orElse(""));
        return variables;
    }

    /**
     * Returns one line for the build log about a login: gateway, backend,
     * user, fingerprint and expiry; never the token.
     */
    public static String describe(LoginSummary summary) {
        StringBuilder line = new StringBuilder("authenticated to ").append(summary.gateway());
        summary.pod().ifPresent(pod -> line.append(" (POD ").append(pod).append(')'));
        line.append(" with the ").append(summary.backend() == Backend.CICD_SENSOR ? "CICD Sensor" : "QScanner")
                .append(" backend");
        summary.user().ifPresent(user -> line.append(" as ").append(user));
        line.append("; token fingerprint ").append(summary.tokenFingerprint());
        summary.expiresAt().ifPresent(expiry -> line.append(", valid until ").append(expiry));
        line.append(summary.verified() ? ", verified by the gateway" : ", not verified");
        return line.toString();
    }

    private static boolean isSet(String value) {
        return value != null && !value.isBlank();
    }
}
