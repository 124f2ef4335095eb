package io.qualysciauth.bridge.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qualysciauth.bridge.CredentialNotAllowedException;
import io.qualysciauth.bridge.DockerRegistry;
import io.qualysciauth.bridge.LogMasker;
import io.qualysciauth.bridge.MissingCredentialException;
import io.qualysciauth.bridge.RegistryRejectedException;
import io.qualysciauth.bridge.Secrets;
import io.qualysciauth.bridge.SessionOptions;
import io.qualysciauth.bridge.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry option of {@code withQualysAuth}, tested without Jenkins against the real registry. */
class RegistryBindingIT {
    private static final String USER = "builder";
    private static final String PASSWORD = "CANARY-binding-registry-pw/5";

    private static TestPki pki;
    private static DockerRegistry registry;

    @BeforeAll
    static void startRegistry() throws Exception {
        DockerRegistry.assumeAvailable();
        Path work = Files.createTempDirectory("qualys-registry-binding-it-");
        pki = TestPki.generate(work.resolve("pki"));
        registry = DockerRegistry.start(work.resolve("registry"), pki, USER, PASSWORD);
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    private static SessionOptions connection() {
        return SessionOptions.builder().caPem(pki.caPem()).maxAttempts(2).build();
    }

    private static long entries(Path dir) throws Exception {
        try (Stream<Path> children = Files.list(dir)) {
            return children.count();
        }
    }

    @Test
    void blockGetsAPrivateDockerConfig(@TempDir Path temp) throws Exception {
        Path workspaceTemp = temp.resolve("ws@tmp");
        Path staging = temp.resolve("controller-tmp");
        Files.createDirectories(staging);
        char[] password = PASSWORD.toCharArray();

        PrivateDirectory directory;
        try (BoundRegistry bound = RegistryBinding.login(
                CredentialSource.usernamePassword("registry-robot", USER, password), registry.host(), staging,
                LocalPrivateDirectory.in(workspaceTemp), connection())) {
            directory = bound.directory();
            assertTrue(new String(password).chars().allMatch(c -> c == 0), "the source's password is cleared");

            Path dir = Path.of(directory.path());
            assertEquals(workspaceTemp, dir.getParent());
            assertTrue(dir.getFileName().toString().startsWith(RegistryBinding.DIRECTORY_PREFIX));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            Path config = dir.resolve("config.json");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));
            String basic = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
            assertTrue(Files.readString(config).contains("\"" + registry.host() + "\""));
            assertTrue(Files.readString(config).contains(basic));
            assertEquals(1, entries(dir), "only config.json; the lock file stays in the staging directory");

            assertEquals(java.util.Map.of("DOCKER_CONFIG", dir.toString()), bound.variables());
            assertEquals(0, entries(staging), "the staging directory is deleted right after the login");
            assertTrue(bound.report().loggedIn());
            assertEquals("Jenkins credential 'registry-robot'", bound.report().credentialSource().orElseThrow());
            assertTrue(bound.describe().contains("as " + USER), bound.describe());
            assertFalse(bound.toString().contains(PASSWORD), bound.toString());

            List<char[]> forms = bound.maskForms();
            try (LogMasker masker = LogMasker.of(forms, StandardCharsets.UTF_8)) {
                String line = "auth " + basic + " pw " + PASSWORD + "\n";
                assertEquals("auth **** pw ****\n",
                        new String(masker.mask(line.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
            }
            Secrets.clearAll(forms);
        }
        assertFalse(Files.exists(Path.of(directory.path())), "closing deletes the directory after the block");
    }

    @Test
    void detachLeavesTheDirectoryToTheHost(@TempDir Path temp) throws Exception {
        BoundRegistry bound = RegistryBinding.login(
                CredentialSource.usernamePassword("registry-robot", USER, PASSWORD.toCharArray()), registry.host(),
                null, LocalPrivateDirectory.in(temp), connection());
        PrivateDirectory directory = bound.detach();
        bound.close();
        assertTrue(Files.exists(Path.of(directory.path(), "config.json")));
        directory.delete();
        assertFalse(Files.exists(Path.of(directory.path())));
    }

    @Test
    void wrongPasswordLeavesNothingBehind(@TempDir Path temp) throws Exception {
        Path workspaceTemp = temp.resolve("ws@tmp");
        Path staging = temp.resolve("controller-tmp");
        Files.createDirectories(staging);

        RegistryRejectedException error = assertThrows(RegistryRejectedException.class,
                () -> RegistryBinding.login(
                        CredentialSource.usernamePassword("registry-robot", USER, "CANARY-nope-77".toCharArray()),
                        registry.host(), staging, LocalPrivateDirectory.in(workspaceTemp), connection()));
        assertTrue(error.getMessage().contains(registry.host()), error.getMessage());
        assertFalse(error.getMessage().contains("CANARY-nope-77"), error.getMessage());
        assertEquals(0, entries(staging));
        assertFalse(Files.exists(workspaceTemp), "no block directory is created for a rejected login");
    }

    @Test
    void onlyUsernamePasswordCredentialsLogIn(@TempDir Path temp) throws Exception {
        char[] token = "CANARY-secret-text".toCharArray();
        CredentialNotAllowedException secretText = assertThrows(CredentialNotAllowedException.class,
                () -> RegistryBinding.login(CredentialSource.secretText("a-token", token), registry.host(), temp,
                        LocalPrivateDirectory.in(temp), connection()));
        assertTrue(secretText.getMessage().contains("'a-token'"), secretText.getMessage());
        assertTrue(secretText.getMessage().contains("Username with password"), secretText.getMessage());
        assertTrue(new String(token).chars().allMatch(c -> c == 0), "a rejected source is cleared too");

        MissingCredentialException missing = assertThrows(MissingCredentialException.class,
                () -> RegistryBinding.login(CredentialSource.notFound("nope"), registry.host(), temp,
                        LocalPrivateDirectory.in(temp), connection()));
        assertTrue(missing.getMessage().contains("'nope'"), missing.getMessage());
        assertTrue(missing.getMessage().contains(registry.host()), missing.getMessage());
    }
}
