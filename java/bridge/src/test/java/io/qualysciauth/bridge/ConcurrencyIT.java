package io.qualysciauth.bridge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Threads sharing one session share one token: parallel Jenkins stages must not repeat {@code /auth}. */
class ConcurrencyIT {
    private static final int THREADS = 16;

    private static GatewaySimulator simulator;

    @BeforeAll
    static void startSimulator() throws Exception {
        simulator = GatewaySimulator.start();
    }

    @AfterAll
    static void stopSimulator() throws Exception {
        simulator.close();
    }

    @Test
    void sixteenThreadsOneAuthRequest() throws Exception {
        String user = GatewaySimulator.uniqueUser("parallel");
        simulator.addUser(user, "parallel-password");
        simulator.reset();
        SessionOptions options = simulator.options().platform(Platform.JENKINS).build();

        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try (QualysSession session = QualysSession.open(options,
                Credential.usernamePassword(user, "parallel-password".toCharArray()))) {
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<char[]>> results = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                boolean login = i % 2 == 0;
                results.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    if (login) {
                        assertTrue(session.login().verified());
                    }
                    return session.bearerToken();
                }));
            }
            char[] first = results.get(0).get(60, TimeUnit.SECONDS).clone();
            for (Future<char[]> result : results) {
                char[] token = result.get(60, TimeUnit.SECONDS);
                assertArrayEquals(first, token, "every thread gets the same JWT");
                Secrets.clear(token);
            }
            Secrets.clear(first);
        } finally {
            pool.shutdownNow();
        }

        JsonObject counters = simulator.counters();
        assertEquals(1, counters.getAsJsonObject("auth").get("total").getAsInt(), counters.toString());
        assertEquals(1, counters.getAsJsonObject("paths").get("/auth").getAsInt(), counters.toString());
        assertEquals(THREADS / 2, counters.getAsJsonObject("paths").get("/csapi/v1.3/images").getAsInt(),
                counters.toString());
    }

    @Test
    void sessionsForTheSameUserShareTheCache() throws Exception {
        String user = GatewaySimulator.uniqueUser("shared");
        simulator.addUser(user, "shared-password");
        simulator.reset();
        SessionOptions options = simulator.options().platform(Platform.JENKINS).build();

        char[] firstToken;
        try (QualysSession first = QualysSession.open(options,
                Credential.usernamePassword(user, "shared-password".toCharArray()))) {
            firstToken = first.bearerToken();
        }
        try (QualysSession second = QualysSession.open(options,
                Credential.usernamePassword(user, "shared-password".toCharArray()))) {
            char[] secondToken = second.bearerToken();
            assertArrayEquals(firstToken, secondToken);
            Secrets.clear(secondToken);
        }
        Secrets.clear(firstToken);
        assertEquals(1, simulator.counters().getAsJsonObject("auth").get("total").getAsInt());
    }
}
