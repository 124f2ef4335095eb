package io.qualysciauth.bridge;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Measures the time of one {@link QualysSession#bearerToken()} call when the
 * token is cached, so no request is sent: the JNI crossing, the core's
 * cache lookup and expiry check, and the {@code char[]} copy that the caller
 * clears. Run it with {@code scripts/bench-java.sh}; the test suites do not.
 *
 * <p>Each case warms up with {@value #WARMUP_CALLS} calls, then times
 * {@value #ROUNDS} rounds of {@value #CALLS_PER_ROUND} calls and prints the
 * best, median and worst round in nanoseconds per call.
 */
public final class BearerTokenBenchmark {
    private static final int WARMUP_CALLS = 200_000;
    private static final int CALLS_PER_ROUND = 200_000;
    private static final int ROUNDS = 5;

    /** Keeps the JIT from dropping the calls whose result is otherwise unused. */
    private static long sink;

    private BearerTokenBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("java " + System.getProperty("java.version") + ", "
                + Runtime.getRuntime().availableProcessors() + " processors, load average before: " + loadAverage());
        try (GatewaySimulator simulator = GatewaySimulator.start()) {
            String token = simulator.mintJwt("bench@example.com", List.of("CS"), 3600L, 0);
            try (QualysSession session = QualysSession.open(simulator.options().platform(Platform.SHELL).build(),
                    Credential.apiToken(token.toCharArray()))) {
                session.login();
                measure("API token (JWT)", session);
            }

            String user = GatewaySimulator.uniqueUser("bench");
            simulator.addUser(user, "bench-password");
            try (QualysSession session = QualysSession.open(simulator.options().platform(Platform.JENKINS).build(),
                    Credential.usernamePassword(user, "bench-password".toCharArray()))) {
                session.login();
                measure("password, cached JWT from /auth", session);
                int authRequests = simulator.counters().getAsJsonObject("auth").get("total").getAsInt();
                System.out.println("  /auth requests during the password case: " + authRequests);
            }
        }
        System.out.println("load average after: " + loadAverage() + " (sink " + sink + ")");
    }

    private static void measure(String name, QualysSession session) throws QualysAuthException {
        for (int i = 0; i < WARMUP_CALLS; i++) {
            call(session);
        }
        double[] nanosPerCall = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            long start = System.nanoTime();
            for (int i = 0; i < CALLS_PER_ROUND; i++) {
                call(session);
            }
            nanosPerCall[round] = (double) (System.nanoTime() - start) / CALLS_PER_ROUND;
        }
        Arrays.sort(nanosPerCall);
        System.out.printf("%s: best %.0f ns/call, median %.0f, worst %.0f (%d rounds of %d calls)%n", name,
                nanosPerCall[0], nanosPerCall[ROUNDS / 2], nanosPerCall[ROUNDS - 1], ROUNDS, CALLS_PER_ROUND);
    }

    private static void call(QualysSession session) throws QualysAuthException {
        char[] token = session.bearerToken();
        sink += token.length;
        Secrets.clear(token);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}
