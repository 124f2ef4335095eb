package io.qualysciauth.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Each core error code reaches Java as its own exception class with the
 * core's message, produced by a real failure wherever the simulator or the
 * input can cause one. No message or {@code toString} contains a secret.
 */
class ErrorMappingIT {
    /** A password that must never appear in any exception text. */
    private static final String CANARY_PASSWORD = "CANARY-pw-7f3a9b&x=1";
    /** A token fragment that must never appear in any exception text. */
    private static final String CANARY_TOKEN = "CANARYtok3n";

    private static GatewaySimulator simulator;
    private static final List<Throwable> SEEN = new ArrayList<>();

    @BeforeAll
    static void startSimulator() throws Exception {
        simulator = GatewaySimulator.start();
    }

    @AfterAll
    static void stopSimulatorAndCheckCanaries() throws Exception {
        simulator.close();
        assertFalse(SEEN.isEmpty());
        for (Throwable error : SEEN) {
            for (Throwable link = error; link != null; link = link.getCause()) {
                String text = link + " " + link.getMessage();
                assertFalse(text.contains(CANARY_PASSWORD), "password canary in: " + text);
                assertFalse(text.contains(CANARY_TOKEN), "token canary in: " + text);
            }
        }
    }

    private static <T extends QualysAuthException> T expect(Class<T> type, ErrorCode code, Executable call) {
        T error = assertThrows(type, call);
        SEEN.add(error);
        assertEquals(type, error.getClass(), "exactly this class, not a subclass");
        assertEquals(code, error.code());
        assertFalse(error.getMessage().isBlank());
        return error;
    }

    private static QualysSession open(SessionOptions options, Credential credential) throws QualysAuthException {
        return QualysSession.open(options, credential);
    }

    @Test
    void unknownPodIsInvalidArgument() {
        InvalidArgumentException error = expect(InvalidArgumentException.class, ErrorCode.INVALID_ARGUMENT,
                () -> open(SessionOptions.builder().pod("XX9").build(), Credential.apiToken("a.b.c".toCharArray())));
        assertTrue(error.getMessage().contains("'XX9'"), error.getMessage());
        assertTrue(error.getMessage().contains("US1"), error.getMessage());
    }

    @Test
    void tokenWithInnerWhitespaceIsInvalidArgument() {
        InvalidArgumentException error = expect(InvalidArgumentException.class, ErrorCode.INVALID_ARGUMENT,
                () -> open(simulator.options().build(), Credential.apiToken((CANARY_TOKEN + " rest").toCharArray())));
        assertTrue(error.getMessage().contains("whitespace at character 12"), error.getMessage());
    }

    @Test
    void passwordOutsideJenkinsIsNotAllowed() {
        CredentialNotAllowedException error = expect(CredentialNotAllowedException.class,
                ErrorCode.CREDENTIAL_NOT_ALLOWED,
                () -> open(simulator.options().platform(Platform.SHELL).build(),
                        Credential.usernamePassword("demo-user", CANARY_PASSWORD.toCharArray())));
        assertTrue(error.getMessage().contains("only on Jenkins"), error.getMessage());
    }

    @Test
    void tokenWithSensorBackendIsNotAllowed() {
        expect(CredentialNotAllowedException.class, ErrorCode.CREDENTIAL_NOT_ALLOWED,
                () -> open(simulator.options().backend(Backend.CICD_SENSOR).platform(Platform.JENKINS).build(),
                        Credential.apiToken((CANARY_TOKEN + ".a.b").toCharArray())));
    }

    @Test
    void emptyTokenIsMissingCredential() {
        expect(MissingCredentialException.class, ErrorCode.MISSING_CREDENTIAL,
                () -> open(simulator.options().build(), Credential.apiToken(" \n".toCharArray())));
    }

    @Test
    void wrongPasswordIsAuthenticationFailed() throws Exception {
        String user = GatewaySimulator.uniqueUser("wrong");
        simulator.addUser(user, "the-right-password");
        try (QualysSession session = open(simulator.options().platform(Platform.JENKINS).build(),
                Credential.usernamePassword(user, CANARY_PASSWORD.toCharArray()))) {
            AuthenticationFailedException error = expect(AuthenticationFailedException.class,
                    ErrorCode.AUTHENTICATION_FAILED, session::login);
            assertTrue(error.getMessage().contains("'" + user + "'"), error.getMessage());
            assertTrue(error.getMessage().contains(simulator.url()), error.getMessage());

            // The rejection is remembered: a second call sends no second /auth.
            int before = simulator.counters().getAsJsonObject("auth").get("rejected").getAsInt();
            expect(AuthenticationFailedException.class, ErrorCode.AUTHENTICATION_FAILED, session::bearerToken);
            assertEquals(before, simulator.counters().getAsJsonObject("auth").get("rejected").getAsInt());
        }
    }

    @Test
    void revokedTokenIsTokenRejected() throws Exception {
        String token = simulator.mintJwt("revoked@example.com", List.of("CS"), 3600L, 0);
        simulator.revokeToken(token);
        try (QualysSession session = open(simulator.options().build(), Credential.apiToken(token.toCharArray()))) {
            TokenRejectedException error = expect(TokenRejectedException.class, ErrorCode.TOKEN_REJECTED,
                    session::login);
            assertTrue(error.getMessage().contains("HTTP 401"), error.getMessage());
            assertFalse(error.getMessage().contains(token));
        }
    }

    @Test
    void expiredTokenIsTokenExpired() throws Exception {
        String token = simulator.mintJwt("old@example.com", List.of("CS"), 60L, 2);
        TokenExpiredException error = expect(TokenExpiredException.class, ErrorCode.TOKEN_EXPIRED,
                () -> open(simulator.options().build(), Credential.apiToken(token.toCharArray())));
        assertTrue(error.getMessage().contains("expired at"), error.getMessage());
    }

    @Test
    void tokenWithoutContainerSecurityIsPermissionDenied() throws Exception {
        String jwt = simulator.mintJwt("nocs@example.com", List.of("VM SCANNER"), 3600L, 0);
        expect(PermissionDeniedException.class, ErrorCode.PERMISSION_DENIED,
                () -> open(simulator.options().build(), Credential.apiToken(jwt.toCharArray())));

        // An opaque token carries no scopes: the gateway's 403 decides.
        String opaque = simulator.mintOpaque("nocs@example.com", List.of("VM SCANNER"));
        try (QualysSession session = open(simulator.options().build(), Credential.apiToken(opaque.toCharArray()))) {
            expect(PermissionDeniedException.class, ErrorCode.PERMISSION_DENIED, session::login);
        }
    }

    @Test
    void unexpectedStatusIsApiError() throws Exception {
        String token = simulator.mintOpaque("api@example.com", List.of("CS"));
        try (QualysSession session = open(simulator.options().build(), Credential.apiToken(token.toCharArray()))) {
            simulator.pushFault("/csapi", Map.of("kind", "status", "status", 404, "body", "no such route"), 1);
            ApiException error = expect(ApiException.class, ErrorCode.API_ERROR, session::login);
            assertTrue(error.getMessage().contains("404"), error.getMessage());
        }
    }

    @Test
    void persistent429IsRateLimited() throws Exception {
        String token = simulator.mintOpaque("busy@example.com", List.of("CS"));
        try (QualysSession session = open(simulator.options().maxAttempts(2).build(),
                Credential.apiToken(token.toCharArray()))) {
            simulator.pushFault("/csapi", Map.of("kind", "status", "status", 429, "retry_after", "0"), 2);
            RateLimitedException error = expect(RateLimitedException.class, ErrorCode.RATE_LIMITED, session::login);
            assertInstanceOf(ApiException.class, error);
        }
    }

    @Test
    void closedPortIsNetworkError() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String token = simulator.mintOpaque("net@example.com", List.of("CS"));
        SessionOptions options = SessionOptions.builder()
                .gatewayUrl("https://127.0.0.1:" + port)
                .maxAttempts(1)
                .build();
        try (QualysSession session = open(options, Credential.apiToken(token.toCharArray()))) {
            NetworkException error = expect(NetworkException.class, ErrorCode.NETWORK_ERROR, session::login);
            assertTrue(error.getMessage().contains("127.0.0.1:" + port), error.getMessage());
        }
    }

    @Test
    void untrustedCertificateIsTlsError() throws Exception {
        String token = simulator.mintOpaque("tls@example.com", List.of("CS"));
        SessionOptions options = SessionOptions.builder().gatewayUrl(simulator.url()).maxAttempts(1).build();
        try (QualysSession session = open(options, Credential.apiToken(token.toCharArray()))) {
            TlsException error = expect(TlsException.class, ErrorCode.TLS_ERROR, session::login);
            assertInstanceOf(NetworkException.class, error);
        }
    }

    @Test
    void slowGatewayIsTimeout() throws Exception {
        String token = simulator.mintOpaque("slow@example.com", List.of("CS"));
        SessionOptions options = simulator.options()
                .maxAttempts(1)
                .requestTimeout(Duration.ofMillis(300))
                .build();
        try (QualysSession session = open(options, Credential.apiToken(token.toCharArray()))) {
            simulator.pushFault("/csapi", Map.of("kind", "delay", "millis", 3000), 1);
            expect(TimeoutException.class, ErrorCode.TIMEOUT, session::login);
        }
    }

    @Test
    void everyCodeMapsToItsClass() {
        NativeLibrary.load();
        Map<ErrorCode, Class<? extends QualysAuthException>> classes = Map.ofEntries(
                Map.entry(ErrorCode.INVALID_ARGUMENT, InvalidArgumentException.class),
                Map.entry(ErrorCode.CREDENTIAL_NOT_ALLOWED, CredentialNotAllowedException.class),
                Map.entry(ErrorCode.MISSING_CREDENTIAL, MissingCredentialException.class),
                Map.entry(ErrorCode.AUTHENTICATION_FAILED, AuthenticationFailedException.class),
                Map.entry(ErrorCode.TOKEN_REJECTED, TokenRejectedException.class),
                Map.entry(ErrorCode.TOKEN_EXPIRED, TokenExpiredException.class),
                Map.entry(ErrorCode.PERMISSION_DENIED, PermissionDeniedException.class),
                Map.entry(ErrorCode.API_ERROR, ApiException.class),
                Map.entry(ErrorCode.RATE_LIMITED, RateLimitedException.class),
                Map.entry(ErrorCode.NETWORK_ERROR, NetworkException.class),
                Map.entry(ErrorCode.TLS_ERROR, TlsException.class),
                Map.entry(ErrorCode.TIMEOUT, TimeoutException.class),
                Map.entry(ErrorCode.IO, LocalIoException.class),
                Map.entry(ErrorCode.REGISTRY_REJECTED, RegistryRejectedException.class),
                Map.entry(ErrorCode.CONFIG_MALFORMED, ConfigMalformedException.class),
                Map.entry(ErrorCode.CREDENTIAL_HELPER_FAILED, CredentialHelperException.class),
                Map.entry(ErrorCode.INTERNAL, InternalException.class),
                Map.entry(ErrorCode.POLICY_FAILED, PolicyFailedException.class));
        assertEquals(ErrorCode.values().length, classes.size());
        for (ErrorCode code : ErrorCode.values()) {
            QualysAuthException error = expect(classes.get(code), code,
                    () -> NativeBridge.throwSampleError(code.number(), "sample detail " + code.wireName()));
            assertTrue(error.getMessage().contains("sample detail") || code == ErrorCode.TOKEN_REJECTED,
                    error.getMessage());
        }
        InvalidArgumentException unknown = expect(InvalidArgumentException.class, ErrorCode.INVALID_ARGUMENT,
                () -> NativeBridge.throwSampleError(99, "x"));
        assertTrue(unknown.getMessage().contains("99"), unknown.getMessage());
    }

    @Test
    void panicBecomesInternalException() {
        NativeLibrary.load();
        InternalException error = expect(InternalException.class, ErrorCode.INTERNAL,
                () -> NativeBridge.panicForTest("deliberate test panic"));
        assertTrue(error.getMessage().contains("panicked: deliberate test panic"), error.getMessage());
        // The library keeps working after a caught panic.
        expect(InvalidArgumentException.class, ErrorCode.INVALID_ARGUMENT,
                () -> QualysAuth.resolveGateway("nope", null));
    }

    @Test
    void javaTableMatchesNativeTable() throws Exception {
        NativeLibrary.load();
        List<String> expected = Arrays.stream(ErrorCode.values())
                .map(code -> code.number() + " " + code.wireName())
                .toList();
        assertEquals(expected, List.of(NativeBridge.errorCodes()));
    }

    @Test
    void redactingToStrings() {
        char[] password = CANARY_PASSWORD.toCharArray();
        Credential credential = Credential.usernamePassword("alice", password);
        ProxySettings proxy = new ProxySettings("proxy.example.com", 3128, "bob", CANARY_PASSWORD.toCharArray());
        SessionOptions options = SessionOptions.builder().pod("US1").proxy(proxy).build();
        for (Object value : List.of(credential, proxy, options, Credential.apiToken(CANARY_TOKEN.toCharArray()))) {
            String text = value.toString();
            assertFalse(text.contains(CANARY_PASSWORD) || text.contains(CANARY_TOKEN), text);
            assertTrue(text.contains("[REDACTED]"), text);
        }
        credential.close();
        proxy.close();
        assertTrue(new String(password).chars().allMatch(c -> c == 0));
    }
}
