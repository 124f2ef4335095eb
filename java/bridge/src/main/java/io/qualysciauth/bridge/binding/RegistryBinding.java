package io.qualysciauth.bridge.binding;

import io.qualysciauth.bridge.InvalidArgumentException;
import io.qualysciauth.bridge.LocalIoException;
import io.qualysciauth.bridge.Platform;
import io.qualysciauth.bridge.QualysAuth;
import io.qualysciauth.bridge.QualysAuthException;
import io.qualysciauth.bridge.RegistryLoginReport;
import io.qualysciauth.bridge.RegistryLoginRequest;
import io.qualysciauth.bridge.Secrets;
import io.qualysciauth.bridge.SessionOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The registry login of the Jenkins step {@code withQualysAuth(registry: ...,
 * registryCredentialsId: ...)}: the block gets a {@code DOCKER_CONFIG}
 * directory of its own, so its registry clients (QScanner, Docker, skopeo)
 * find the login there, and other builds do not use it.
 *
 * <p>The core verifies the credential with the registry and writes
 * {@code config.json} into a staging directory on this machine (mode 0700,
 * deleted right after). Its content is then copied into a new private
 * directory where the block runs, given by a {@link PrivateDirectory.Factory}
 * (the workspace's temporary directory on a Jenkins agent), which the host
 * deletes after the block.
 */
public final class RegistryBinding {
    /** The variable that points registry clients at the block's own {@code config.json}. */
    public static final String DOCKER_CONFIG_VARIABLE = "DOCKER_CONFIG";
    /** The name prefix of the private directories. */
    public static final String DIRECTORY_PREFIX = "qualys-docker-config-";

    private static final String CONFIG_FILE = "config.json";

    private RegistryBinding() {
    }

    /**
     * Returns whether the step requests a registry login: both {@code registry}
     * and {@code registryCredentialsId} set. Blank values count as not set.
     *
     * @throws InvalidArgumentException when only one of them is set
     */
    public static boolean requested(String registry, String registryCredentialsId) throws QualysAuthException {
        boolean hasRegistry = registry != null && !registry.isBlank();
        boolean hasCredential = registryCredentialsId != null && !registryCredentialsId.isBlank();
        if (hasRegistry && !hasCredential) {
            throw new InvalidArgumentException("withQualysAuth was given registry: '" + registry.trim()
                    + "' but no registryCredentialsId; pass the ID of a \"Username with password\" credential "
                    + "for the registry");
        }
        if (hasCredential && !hasRegistry) {
            throw new InvalidArgumentException("withQualysAuth was given registryCredentialsId: '"
                    + registryCredentialsId.trim() + "' but no registry; pass the registry host, such as "
                    + "registry.example.com:5000, or an image reference");
        }
        return hasRegistry;
    }

    /**
     * Returns the host name that the registry login to {@code registry} (a
     * host or an image reference) sends requests to, without port, for the
     * host's proxy exceptions ("No Proxy Host" in Jenkins). Docker Hub names
     * such as {@code alpine} map to {@code registry-1.docker.io}.
     *
     * @throws InvalidArgumentException for a reference that is not valid
     */
    public static String requestHost(String registry) throws QualysAuthException {
        String url = QualysAuth.registryApiUrl(registry);
        String host = URI.create(url).getHost();
        if (host == null) {
            throw new InvalidArgumentException("the registry '" + registry.trim() + "' has no host name ("
                    + url + "); pass a registry host such as registry.example.com:5000");
        }
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /**
     * Logs in to {@code registry} with a "Username with password" credential
     * and returns the block's private {@code DOCKER_CONFIG}. The source's
     * password is cleared.
     *
     * @param stagingParent where the staging directory is created on this
     *     machine; {@code null} means {@code java.io.tmpdir}
     * @param target creates the private directory where the block runs
     * @param connection CA certificates, timeouts and proxy for the registry's API
     * @throws io.qualysciauth.bridge.RegistryRejectedException when the
     *     registry rejects the user name or password
     * @throws QualysAuthException for a credential of another kind (the
     *     message names the kind that is needed), an invalid registry, and a
     *     directory that cannot be written
     */
    public static BoundRegistry login(CredentialSource source, String registry, Path stagingParent,
            PrivateDirectory.Factory target, SessionOptions connection)
            throws QualysAuthException, InterruptedException {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(connection, "connection");
        try (CredentialSource owned = Objects.requireNonNull(source, "source")) {
            if (owned.kind() != CredentialSource.Kind.USERNAME_PASSWORD) {
                throw owned.registryRejection(registry);
            }
            List<char[]> forms = new ArrayList<>(QualysAuth.maskForms(owned.secret().clone(), owned.username()));
            try {
                return loginWith(owned, registry, stagingParent, target, connection, forms);
            } catch (QualysAuthException | InterruptedException | RuntimeException e) {
                Secrets.clearAll(forms);
                throw e;
            }
        }
    }

    private static BoundRegistry loginWith(CredentialSource source, String registry, Path stagingParent,
            PrivateDirectory.Factory target, SessionOptions connection, List<char[]> forms)
            throws QualysAuthException, InterruptedException {
        LocalPrivateDirectory staging;
        try {
            staging = stagingParent == null
                    ? LocalPrivateDirectory.createInSystemTemp(DIRECTORY_PREFIX)
                    : LocalPrivateDirectory.create(stagingParent, DIRECTORY_PREFIX);
        } catch (IOException e) {
            throw new LocalIoException("creating a private directory for the registry login in "
                    + (stagingParent == null ? System.getProperty("java.io.tmpdir") : stagingParent)
                    + " failed: " + e.getMessage());
        }

        byte[] config = null;
        try {
            RegistryLoginReport report = QualysAuth.registryLogin(RegistryLoginRequest
                    .builder(registry, source.username(), source.secret())
                    .credentialSource("Jenkins credential '" + source.id() + "'")
                    .platform(Platform.JENKINS)
                    .dockerConfigDir(staging.directory())
                    .connectionFrom(connection)
                    .build());
            config = readConfig(staging.directory().resolve(CONFIG_FILE));
            PrivateDirectory directory = createTarget(target);
            try {
                directory.write(CONFIG_FILE, config);
            } catch (IOException e) {
                deleteQuietly(directory);
                throw new LocalIoException("writing " + CONFIG_FILE + " into " + directory.path() + " failed: "
                        + e.getMessage());
            }
            return new BoundRegistry(report, directory, forms);
        } finally {
            if (config != null) {
                Arrays.fill(config, (byte) 0);
            }
            deleteStaging(staging);
        }
    }

    private static byte[] readConfig(Path file) throws QualysAuthException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new LocalIoException("reading " + file + " after the registry login failed: " + e.getMessage());
        }
    }

    private static PrivateDirectory createTarget(PrivateDirectory.Factory target)
            throws QualysAuthException, InterruptedException {
        try {
            return target.create(DIRECTORY_PREFIX);
        } catch (IOException e) {
            throw new LocalIoException("creating the private DOCKER_CONFIG directory for the block failed: "
                    + e.getMessage());
        }
    }

    private static void deleteStaging(LocalPrivateDirectory staging) throws QualysAuthException {
        try {
            staging.delete();
        } catch (IOException e) {
            throw new LocalIoException("deleting the staging directory " + staging.path()
                    + " of the registry login failed: " + e.getMessage() + "; delete it by hand, it holds "
                    + "registry credentials");
        }
    }

    private static void deleteQuietly(PrivateDirectory directory) throws InterruptedException {
        try {
            directory.delete();
        } catch (IOException suppressed) {
            // The write failure is the error to report; the directory is private.
        }
    }
}
