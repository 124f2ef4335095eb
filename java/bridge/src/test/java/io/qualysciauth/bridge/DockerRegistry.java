package io.qualysciauth.bridge;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's {@code docker-registry} (the CNCF Distribution registry 2.8) on
 * 127.0.0.1 with TLS from {@link TestPki} and htpasswd Basic authentication,
 * for one test class. {@code scripts/setup.d/20-registry-packages.sh}
 * installs it with {@code htpasswd}.
 */
public final class DockerRegistry implements AutoCloseable {
    /** The registry binary of Debian's {@code docker-registry} package. */
    public static final String BINARY = "docker-registry";

    private final Process process;
    private final int port;
    private final Path log;

    private DockerRegistry(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Skips the calling test class when {@code docker-registry} is not on
     * {@code PATH}, except under CI ({@code CI} set), where that fails.
     */
    public static void assumeAvailable() {
        boolean found = onPath(BINARY);
        if (!found && System.getenv("CI") != null) {
            throw new IllegalStateException(BINARY + " is not on PATH and CI is set; run "
                    + "scripts/setup.d/20-registry-packages.sh");
        }
        if (!found) {
            System.err.println("SKIPPED: " + BINARY + " is not on PATH; install it with "
                    + "scripts/setup.d/20-registry-packages.sh");
        }
        Assumptions.assumeTrue(found, BINARY + " is not on PATH");
        if (!onPath("htpasswd")) {
            throw new IllegalStateException("htpasswd is not on PATH although " + BINARY + " is; run "
                    + "scripts/setup.d/20-registry-packages.sh");
        }
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** Starts the registry in {@code dir} with one user; the password reaches htpasswd on its standard input. */
    public static DockerRegistry start(Path dir, TestPki pki, String user, String password) throws Exception {
        Files.createDirectories(dir);
        Path htpasswd = dir.resolve("htpasswd");
        writeHtpasswd(htpasswd, user, password);

        String lastLog = "";
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort();
            Path config = dir.resolve("config.yml");
            Files.writeString(config, String.join("\n",
                    "version: 0.1",
                    "log:",
                    "  level: info",
                    "storage:",
                    "  filesystem:",
                    "    rootdirectory: " + dir.resolve("data"),
                    "http:",
                    "  addr: 127.0.0.1:" + port,
                    "  secret: qualys-ci-auth-java-test-upload-secret",
                    "  tls:",
                    "    certificate: " + pki.serverCertificate(),
                    "    key: " + pki.serverKey(),
                    "auth:",
                    "  htpasswd:",
                    "    realm: qualys-ci-auth-java-test",
                    "    path: " + htpasswd,
                    ""), StandardCharsets.UTF_8);
            Path log = dir.resolve("registry-" + port + ".log");
            Process process = new ProcessBuilder(BINARY, "serve", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            DockerRegistry registry = new DockerRegistry(process, port, log);
            if (registry.waitReady()) {
                return registry;
            }
            lastLog = Files.readString(log);
            registry.close();
        }
        throw new IllegalStateException(BINARY + " did not start; last log:\n" + lastLog);
    }

    /** Adds a bcrypt entry with {@code htpasswd -icB}, which reads the password from standard input. */
    private static void writeHtpasswd(Path file, String user, String password) throws Exception {
        Process htpasswd = new ProcessBuilder(List.of("htpasswd", "-icB", file.toString(), user))
                .redirectErrorStream(true)
                .start();
        try (OutputStream stdin = htpasswd.getOutputStream()) {
            stdin.write(password.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(htpasswd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!htpasswd.waitFor(30, TimeUnit.SECONDS) || htpasswd.exitValue() != 0) {
            throw new IllegalStateException("htpasswd failed: " + output);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    private boolean waitReady() throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                return false;
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return true;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        return false;
    }

    /** Returns {@code 127.0.0.1:<port>}, the registry's name in references and in {@code config.json}. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    /** Returns the registry's log so far. */
    public String log() throws IOException {
        return Files.readString(log);
    }

    /** Stops the registry: SIGTERM, then SIGKILL after 10 seconds. */
    @Override
    public void close() {
        process.destroy();
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
