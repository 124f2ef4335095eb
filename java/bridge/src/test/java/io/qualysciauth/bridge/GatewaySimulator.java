package io.qualysciauth.bridge;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Runs the {@code qualys-gateway-simulator} binary on 127.0.0.1 for a test
 * class and drives its control API under {@code /__simulator/}.
 *
 * <p>The binary is started with {@code --exit-on-stdin-eof}, so it stops
 * when {@link #close()} closes its standard input, and also when this JVM
 * dies. Its log goes to {@code target/simulator-N.log}.
 */
public final class GatewaySimulator implements AutoCloseable {
    private static final Gson GSON = new Gson();
    private static final AtomicInteger STARTED = new AtomicInteger();
    private static final AtomicInteger UNIQUE = new AtomicInteger();

    private final Process process;
    private final OutputStream stdin;
    private final String url;
    private final String caPem;
    private final HttpClient client;

    private GatewaySimulator(Process process, String url, String caPem) throws Exception {
        this.process = process;
        this.stdin = process.getOutputStream();
        this.url = url;
        this.caPem = caPem;
        this.client = HttpClient.newBuilder()
                .sslContext(trusting(caPem))
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** Starts the simulator named by the {@code qualys.test.simulator} system property. */
    public static GatewaySimulator start(String... extraArguments) throws Exception {
        String binary = System.getProperty("qualys.test.simulator");
        if (binary == null || !Files.isExecutable(Path.of(binary))) {
            throw new IllegalStateException("the gateway simulator binary '" + binary
                    + "' is missing; build it with cargo build -p qualys-gateway-simulator and pass "
                    + "-Dqualys.native.dir=<cargo target>/debug");
        }
        List<String> command = new java.util.ArrayList<>(List.of(binary, "--exit-on-stdin-eof"));
        command.addAll(List.of(extraArguments));
        Path log = Path.of("target", "simulator-" + STARTED.incrementAndGet() + ".log");
        Process process = new ProcessBuilder(command)
                .redirectError(log.toFile())
                .start();
        BufferedReader stdout = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = stdout.readLine();
        if (line == null) {
            process.destroyForcibly();
            throw new IllegalStateException("the simulator exited before printing its ready line; see " + log);
        }
        JsonObject ready = GSON.fromJson(line, JsonObject.class);
        return new GatewaySimulator(process, ready.get("url").getAsString(), ready.get("ca_pem").getAsString());
    }

    private static SSLContext trusting(String caPem) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        Certificate ca = factory.generateCertificate(
                new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII)));
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("simulator-ca", ca);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    /** Returns the gateway's base URL, {@code https://127.0.0.1:<port>}. */
    public String url() {
        return url;
    }

    /** Returns the simulator's throwaway CA certificate in PEM. */
    public String caPem() {
        return caPem;
    }

    /** Returns session options for this simulator: its URL and CA, and quick retries. */
    public SessionOptions.Builder options() {
        return SessionOptions.builder()
                .gatewayUrl(url)
                .caPem(caPem)
                .maxAttempts(2)
                .deadline(Duration.ofSeconds(20));
    }

    /** Returns a user name that no other test uses, so its token cache entry starts cold. */
    public static String uniqueUser(String prefix) {
        return prefix + "-" + ProcessHandle.current().pid() + "-" + UNIQUE.incrementAndGet();
    }

    /** Registers a user with {@code modules}, or with the Container Security module when none are given. */
    public void addUser(String username, String password, String... modules) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("username", username);
        body.put("password", password);
        body.put("modules", modules.length == 0 ? List.of("CS") : List.of(modules));
        post("/__simulator/users", body);
    }

    /** Mints a JWT for {@code subject} with {@code modules} and the given lifetime (null for the default). */
    public String mintJwt(String subject, List<String> modules, Long lifetimeSeconds, int issuedDaysAgo) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("subject", subject);
        body.put("modules", modules);
        if (lifetimeSeconds != null) {
            body.put("lifetime_seconds", lifetimeSeconds);
        }
        body.put("issued_days_ago", issuedDaysAgo);
        return post("/__simulator/tokens", body).get("token").getAsString();
    }

    /** Mints an opaque API token for {@code subject} that never expires. */
    public String mintOpaque(String subject, List<String> modules) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("subject", subject);
        body.put("modules", modules);
        body.put("opaque", true);
        return post("/__simulator/tokens", body).get("token").getAsString();
    }

    /** Revokes one token. */
    public void revokeToken(String token) throws Exception {
        post("/__simulator/revoke", Map.of("token", token));
    }

    /** Makes the next {@code times} requests under {@code path} fail with {@code fault}. */
    public void pushFault(String path, Map<String, Object> fault, int times) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("path", path);
        body.put("fault", fault);
        body.put("times", times);
        post("/__simulator/faults", body);
    }

    /** Returns the request counters: {@code {"paths": {...}, "auth": {"total", "succeeded", "rejected"}}}. */
    public JsonObject counters() throws Exception {
        HttpResponse<String> response = client.send(
                HttpRequest.newBuilder(URI.create(url + "/__simulator/counters")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return checked("GET /__simulator/counters", response);
    }

    /** Clears counters and pending faults; users and tokens stay. */
    public void reset() throws Exception {
        post("/__simulator/reset", Map.of());
    }

    private JsonObject post(String path, Object body) throws Exception {
        HttpResponse<String> response = client.send(
                HttpRequest.newBuilder(URI.create(url + path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(GSON.toJson(body)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return checked("POST " + path, response);
    }

    private static JsonObject checked(String request, HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException(request + " answered " + response.statusCode() + ": " + response.body());
        }
        return GSON.fromJson(response.body(), JsonObject.class);
    }

    @Override
    public void close() throws IOException {
        stdin.close();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
