package io.qualysciauth.bridge;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Functions of the native core that need no session: mask forms, offline
 * token inspection, gateway resolution, the credential rule, the POD names,
 * and private registry login and logout. Each loads the native library on
 * first use.
 *
 * <p>Methods that take a secret {@code char[]} clear it before they return;
 * pass a copy ({@code secret.clone()}) to keep using the value.
 */
public final class QualysAuth {
    private QualysAuth() {
    }

    /**
     * Returns every form of {@code secret} (and of {@code username:secret},
     * when a user name is given) that a log masker must hide, longest first;
     * forms shorter than 6 characters are left out. The caller owns the
     * returned arrays and clears them.
     */
    public static List<char[]> maskForms(char[] secret, String username) throws QualysAuthException {
        Objects.requireNonNull(secret, "secret");
        try {
            NativeLibrary.load();
            char[][] forms = NativeBridge.maskFormsOf(secret, username);
            return Collections.unmodifiableList(new ArrayList<>(Arrays.asList(forms)));
        } finally {
            Secrets.clear(secret);
        }
    }

    /**
     * Decodes what a pasted token carries (surrounding whitespace, a
     * {@code Bearer } prefix and a byte-order mark are removed first), without
     * asking the gateway.
     */
    public static TokenInspection inspect(char[] token) throws QualysAuthException {
        Objects.requireNonNull(token, "token");
        try {
            NativeLibrary.load();
            return NativeBridge.inspect(token);
        } finally {
            Secrets.clear(token);
        }
    }

    /**
     * Resolves a POD name or an explicit gateway URL, exactly one of them
     * non-blank, to the gateway the core would call. A POD's listed host
     * ({@code https://qg1.apps.qualys.com}) maps to its gateway.
     *
     * @throws InvalidArgumentException for an unknown POD, a URL that is not
     *     {@code https} or has user information, a query or a fragment, and
     *     for both or neither given; the message lists the valid PODs
     */
    public static Gateway resolveGateway(String pod, String gatewayUrl) throws QualysAuthException {
        NativeLibrary.load();
        String[] resolved = NativeBridge.resolveGateway(pod, gatewayUrl);
        return new Gateway(resolved[0], resolved[1]);
    }

    /** Returns the rule that pairs credential kinds with backends and platforms, as quoted in rejections. */
    public static String credentialRule() throws QualysAuthException {
        NativeLibrary.load();
        return NativeBridge.credentialRule();
    }

    /** Returns the names in the core's POD table, such as {@code US1}. */
    public static List<String> podNames() throws QualysAuthException {
        NativeLibrary.load();
        return List.of(NativeBridge.podNames());
    }

    /**
     * Verifies a registry user name and password with the registry's HTTP API
     * V2 ({@code GET /v2/}, then Basic or the Bearer token flow the registry
     * names) and stores them in Docker's {@code config.json} (merged, mode
     * 0600) or in the credential helper it names. The request's password
     * array is cleared before this method returns, whether it succeeds or
     * fails.
     *
     * @throws RegistryRejectedException when the registry or its token
     *     service rejects the credentials; the message names the registry and
     *     the user, never the password
     * @throws ConfigMalformedException when {@code config.json} is not valid
     *     JSON; it is left unchanged
     */
    public static RegistryLoginReport registryLogin(RegistryLoginRequest request) throws QualysAuthException {
        Objects.requireNonNull(request, "request");
        try (request) {
            NativeLibrary.load();
            return request.loginNative();
        }
    }

    /**
     * Returns the base URL of the registry API that a login to
     * {@code registry} calls, as the core parses references:
     * {@code https://registry-1.docker.io} for Docker Hub names such as
     * {@code alpine}, {@code https://ghcr.io} for {@code ghcr.io/org/app:1.0}.
     * A host matches it against its proxy exceptions.
     *
     * @throws InvalidArgumentException for a reference that is not valid
     */
    public static String registryApiUrl(String registry) throws QualysAuthException {
        Objects.requireNonNull(registry, "registry");
        NativeLibrary.load();
        return NativeBridge.registryApiUrl(registry, false);
    }

    /**
     * Removes the stored credentials of {@code registry} (a host or image
     * reference) from {@code dockerConfigDir/config.json} and from its
     * credential helper; other entries stay. A {@code null} directory means
     * this process's {@code $DOCKER_CONFIG}, else {@code ~/.docker}.
     */
    public static RegistryLogoutReport registryLogout(String registry, Path dockerConfigDir,
            boolean allowInsecureLoopback) throws QualysAuthException {
        Objects.requireNonNull(registry, "registry");
        NativeLibrary.load();
        return NativeBridge.registryLogout(registry, dockerConfigDir == null ? null : dockerConfigDir.toString(),
                allowInsecureLoopback);
    }

    /** Returns the version of the native library. */
    public static String nativeVersion() throws QualysAuthException {
        NativeLibrary.load();
        return NativeBridge.version();
    }
}
