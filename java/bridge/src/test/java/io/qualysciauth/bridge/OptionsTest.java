package io.qualysciauth.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The pure Java parts of the session API: option checks, secret ownership and redaction. */
class OptionsTest {
    @Test
    void builderRejectsNonsense() {
        SessionOptions.Builder builder = SessionOptions.builder();
        assertThrows(IllegalArgumentException.class, () -> builder.maxAttempts(0));
        assertThrows(IllegalArgumentException.class, () -> builder.requestTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> builder.connectTimeout(Duration.ofMillis(-5)));
        IllegalArgumentException tiny = assertThrows(IllegalArgumentException.class,
                () -> builder.deadline(Duration.ofNanos(10)));
        assertTrue(tiny.getMessage().contains("deadline"), tiny.getMessage());
    }

    @Test
    void toBuilderCopiesEverything() {
        SessionOptions original = SessionOptions.builder()
                .pod("US1")
                .platform(Platform.JENKINS)
                .backend(Backend.QSCANNER)
                .maxAttempts(3)
                .build();
        SessionOptions copy = original.toBuilder().build();
        assertEquals(original.toString(), copy.toString());
        assertEquals("US1", copy.pod().orElseThrow());
        assertEquals(Platform.JENKINS, copy.platform().orElseThrow());
    }

    @Test
    void credentialClearsAndRedacts() {
        char[] token = "CANARY-token-value".toCharArray();
        Credential credential = Credential.apiToken(token);
        assertEquals(Backend.QSCANNER, credential.backend());
        assertEquals("Credential{apiToken=[REDACTED]}", credential.toString());
        credential.close();
        assertTrue(new String(token).chars().allMatch(c -> c == 0));

        Credential password = Credential.usernamePassword("alice", "CANARY-pw".toCharArray());
        assertEquals(Backend.CICD_SENSOR, password.backend());
        assertFalse(password.toString().contains("CANARY"));
    }

    @Test
    void proxyChecksAndRedacts() {
        assertThrows(IllegalArgumentException.class, () -> new ProxySettings(" ", 8080, null, null));
        assertThrows(IllegalArgumentException.class, () -> new ProxySettings("proxy", 0, null, null));
        char[] password = "CANARY-proxy".toCharArray();
        try (ProxySettings proxy = new ProxySettings("proxy.example.com", 3128, "bob", password)) {
            assertEquals("ProxySettings{host=proxy.example.com, port=3128, username=bob, password=[REDACTED]}",
                    proxy.toString());
        }
        assertTrue(new String(password).chars().allMatch(c -> c == 0));
    }

    @Test
    void errorCodesAreUnique() {
        for (ErrorCode code : ErrorCode.values()) {
            assertEquals(code, ErrorCode.fromNumber(code.number()).orElseThrow());
        }
        assertTrue(ErrorCode.fromNumber(999).isEmpty());
        assertEquals(ErrorCode.TLS_ERROR, new TlsException("m").code());
        assertTrue(new TlsException("m") instanceof NetworkException);
        assertTrue(new RateLimitedException("m") instanceof ApiException);
    }
}
