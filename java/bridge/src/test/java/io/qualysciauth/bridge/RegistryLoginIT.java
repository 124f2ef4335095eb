package io.qualysciauth.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Registry login and logout through the bridge against the real Distribution
 * registry on 127.0.0.1, with htpasswd Basic authentication over TLS.
 */
class RegistryLoginIT {
    private static final String USER = "robot";
    private static final String PASSWORD = "CANARY-registry-pw&7 =x";
    private static final String WRONG_PASSWORD = "CANARY-wrong-pw-3141";

    private static Path work;
    private static TestPki pki;
    private static DockerRegistry registry;

    @BeforeAll
    static void startRegistry() throws Exception {
        DockerRegistry.assumeAvailable();
        work = Files.createTempDirectory("qualys-registry-it-");
        pki = TestPki.generate(work.resolve("pki"));
        registry = DockerRegistry.start(work.resolve("registry"), pki, USER, PASSWORD);
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    private static RegistryLoginRequest.Builder request(char[] password, Path dockerConfig) {
        return RegistryLoginRequest.builder(registry.host(), USER, password)
                .caPem(pki.caPem())
                .platform(Platform.JENKINS)
                .dockerConfigDir(dockerConfig)
                .maxAttempts(2);
    }

    private static JsonObject readConfig(Path dockerConfig) throws Exception {
        return new Gson().fromJson(Files.readString(dockerConfig.resolve("config.json")), JsonObject.class);
    }

    @Test
    void goodPasswordIsStoredPrivately(@TempDir Path temp) throws Exception {
        Path dockerConfig = temp.resolve("docker");
        char[] password = PASSWORD.toCharArray();

        RegistryLoginReport report = QualysAuth.registryLogin(
                request(password, dockerConfig).credentialSource("Jenkins credential 'robot'").build());

        assertTrue(new String(password).chars().allMatch(c -> c == 0), "the password array is cleared");
        assertTrue(report.loggedIn(), report.toString());
        assertEquals(1, report.schemaVersion());
        assertEquals(registry.host(), report.registry());
        assertEquals(registry.host(), report.configKey());
        assertEquals(USER, report.username().orElseThrow());
        assertEquals("basic", report.verification().orElseThrow());
        assertEquals("config-file", report.storedIn().orElseThrow());
        assertEquals("Jenkins credential 'robot'", report.credentialSource().orElseThrow());
        assertEquals(dockerConfig.resolve("config.json").toString(), report.configPath());
        assertFalse(report.toString().contains(PASSWORD), report.toString());

        Path file = dockerConfig.resolve("config.json");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String auth = readConfig(dockerConfig).getAsJsonObject("auths").getAsJsonObject(registry.host())
                .get("auth").getAsString();
        assertEquals(USER + ":" + PASSWORD, new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8));
    }

    @Test
    void otherEntriesSurviveLoginAndLogout(@TempDir Path temp) throws Exception {
        Path dockerConfig = temp.resolve("docker");
        Files.createDirectories(dockerConfig);
        Files.writeString(dockerConfig.resolve("config.json"),
                "{\"auths\":{\"other.example.com\":{\"auth\":\"b3RoZXI6ZW50cnk=\"}},\"psFormat\":\"table\"}");

        QualysAuth.registryLogin(request(PASSWORD.toCharArray(), dockerConfig).build());
        JsonObject afterLogin = readConfig(dockerConfig);
        assertTrue(afterLogin.getAsJsonObject("auths").has("other.example.com"));
        assertTrue(afterLogin.getAsJsonObject("auths").has(registry.host()));
        assertEquals("table", afterLogin.get("psFormat").getAsString());

        RegistryLogoutReport logout = QualysAuth.registryLogout(registry.host(), dockerConfig, false);
        assertTrue(logout.removed());
        assertTrue(logout.removedFromFile());
        assertEquals(registry.host(), logout.configKey());
        assertTrue(logout.credentialHelper().isEmpty());
        assertTrue(logout.erasedInHelper().isEmpty());
        JsonObject afterLogout = readConfig(dockerConfig);
        assertFalse(afterLogout.getAsJsonObject("auths").has(registry.host()));
        assertTrue(afterLogout.getAsJsonObject("auths").has("other.example.com"));
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dockerConfig.resolve("config.json"))));

        RegistryLogoutReport again = QualysAuth.registryLogout(registry.host(), dockerConfig, false);
        assertFalse(again.removed());
    }

    @Test
    void wrongPasswordIsRejected(@TempDir Path temp) throws Exception {
        Path dockerConfig = temp.resolve("docker");
        char[] password = WRONG_PASSWORD.toCharArray();

        RegistryRejectedException error = assertThrows(RegistryRejectedException.class,
                () -> QualysAuth.registryLogin(request(password, dockerConfig).build()));

        assertEquals(ErrorCode.REGISTRY_REJECTED, error.code());
        assertTrue(error.getMessage().contains(registry.host()), error.getMessage());
        assertTrue(error.getMessage().contains(USER), error.getMessage());
        assertFalse(error.getMessage().contains(WRONG_PASSWORD), error.getMessage());
        assertFalse(error.getMessage().contains(PASSWORD), error.getMessage());
        assertTrue(new String(password).chars().allMatch(c -> c == 0), "the password array is cleared on failure");
        assertFalse(Files.exists(dockerConfig.resolve("config.json")), "nothing is stored");
    }

    @Test
    void untrustedRegistryIsATlsError(@TempDir Path temp) {
        TlsException error = assertThrows(TlsException.class, () -> QualysAuth.registryLogin(
                RegistryLoginRequest.builder(registry.host(), USER, PASSWORD.toCharArray())
                        .dockerConfigDir(temp)
                        .maxAttempts(1)
                        .build()));
        assertFalse(error.getMessage().contains(PASSWORD), error.getMessage());
    }

    @Test
    void loginGoesThroughTheProxy(@TempDir Path temp) throws Exception {
        try (ConnectProxy proxy = ConnectProxy.open()) {
            RegistryLoginReport report = QualysAuth.registryLogin(request(PASSWORD.toCharArray(), temp)
                    .proxy(new ProxySettings("127.0.0.1", proxy.port(), null, null))
                    .build());
            assertTrue(report.loggedIn());
            assertTrue(proxy.tunnels() >= 1, "tunnels: " + proxy.tunnels());
        }
    }

    @Test
    void invalidRequestsNameTheValue(@TempDir Path temp) {
        InvalidArgumentException badName = assertThrows(InvalidArgumentException.class,
                () -> QualysAuth.registryLogin(RegistryLoginRequest
                        .builder(registry.host(), "user:name", PASSWORD.toCharArray())
                        .dockerConfigDir(temp)
                        .build()));
        assertTrue(badName.getMessage().contains("user:name"), badName.getMessage());

        MissingCredentialException empty = assertThrows(MissingCredentialException.class,
                () -> QualysAuth.registryLogin(RegistryLoginRequest
                        .builder(registry.host(), USER, new char[0])
                        .dockerConfigDir(temp)
                        .build()));
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());

        InvalidArgumentException plainHttp = assertThrows(InvalidArgumentException.class,
                () -> QualysAuth.registryLogin(RegistryLoginRequest
                        .builder("http://" + registry.host(), USER, PASSWORD.toCharArray())
                        .dockerConfigDir(temp)
                        .build()));
        assertTrue(plainHttp.getMessage().contains("http"), plainHttp.getMessage());
    }

    @Test
    void builderRejectsNonsense() {
        RegistryLoginRequest.Builder builder = RegistryLoginRequest.builder("registry.example.com", USER,
                PASSWORD.toCharArray());
        assertThrows(IllegalArgumentException.class, () -> builder.maxAttempts(0));
        assertThrows(IllegalArgumentException.class, () -> builder.deadline(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> builder.deadline(Duration.ofSeconds(-1)));
    }

    @Test
    void requestToStringHidesThePassword() {
        try (RegistryLoginRequest request = RegistryLoginRequest
                .builder("registry.example.com", USER, PASSWORD.toCharArray()).build()) {
            assertFalse(request.toString().contains(PASSWORD), request.toString());
            assertTrue(request.toString().contains("[REDACTED]"), request.toString());
        }
    }
}
