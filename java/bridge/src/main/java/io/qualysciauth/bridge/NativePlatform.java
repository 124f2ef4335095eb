package io.qualysciauth.bridge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The operating system, processor architecture and C library of the running
 * JVM, as far as they decide which native library it can load.
 *
 * <p>The jar keeps one library per platform under
 * {@code /native/<os>-<arch>[-musl]/}; a glibc build does not load on musl
 * (Alpine) and the other way round, so on Linux the C library is part of the
 * directory name.
 */
public final class NativePlatform {
    /** The C library a Linux process runs on. */
    public enum Libc {
        /** GNU C library, the usual Linux one. */
        GLIBC,
        /** musl, as on Alpine Linux. */
        MUSL,
        /** Not Linux, or the C library could not be told. */
        UNKNOWN
    }

    private final String os;
    private final String arch;
    private final Libc libc;

    private NativePlatform(String os, String arch, Libc libc) {
        this.os = os;
        this.arch = arch;
        this.libc = libc;
    }

    /** Returns the platform of the running JVM. */
    public static NativePlatform current() {
        String osName = System.getProperty("os.name", "");
        Libc libc = osName.toLowerCase(Locale.ROOT).startsWith("linux")
                ? detectLinuxLibc(Path.of("/proc/self/maps"))
                : Libc.UNKNOWN;
        return of(osName, System.getProperty("os.arch", ""), libc);
    }

    /**
     * Returns the platform for the given {@code os.name} and {@code os.arch}
     * values, normalizing the JVM's spellings ({@code amd64} is {@code x86_64}).
     */
    public static NativePlatform of(String osName, String osArch, Libc libc) {
        String osLower = osName.toLowerCase(Locale.ROOT);
        String os;
        if (osLower.startsWith("linux")) {
            os = "linux";
        } else if (osLower.startsWith("mac") || osLower.startsWith("darwin")) {
            os = "macos";
        } else if (osLower.startsWith("windows")) {
            os = "windows";
        } else {
            os = osLower.replaceAll("[^a-z0-9]+", "");
        }

        String archLower = osArch.toLowerCase(Locale.ROOT);
        String arch = switch (archLower) {
            case "amd64", "x86_64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> archLower.replaceAll("[^a-z0-9_]+", "");
        };
        return new NativePlatform(os, arch, os.equals("linux") ? libc : Libc.UNKNOWN);
    }

    /**
     * Tells glibc from musl by the shared objects mapped into this process:
     * the JVM itself is linked against the system's C library.
     */
    static Libc detectLinuxLibc(Path maps) {
        try (Stream<String> lines = Files.lines(maps)) {
            boolean[] seen = new boolean[2];
            lines.forEach(line -> {
                if (line.contains("ld-musl-") || line.contains("libc.musl")) {
                    seen[0] = true;
                } else if (line.contains("libc.so.6") || line.contains("libc-2.")) {
                    seen[1] = true;
                }
            });
            if (seen[0]) {
                return Libc.MUSL;
            }
            return seen[1] ? Libc.GLIBC : Libc.UNKNOWN;
        } catch (IOException | RuntimeException e) {
            return Libc.UNKNOWN;
        }
    }

    /** Returns the normalized OS name: {@code linux}, {@code macos}, {@code windows} or another. */
    public String os() {
        return os;
    }

    /** Returns the normalized architecture, such as {@code x86_64} or {@code aarch64}. */
    public String arch() {
        return arch;
    }

    /** Returns the C library; {@link Libc#UNKNOWN} outside Linux. */
    public Libc libc() {
        return libc;
    }

    /** Returns the jar directory for this platform, such as {@code linux-x86_64} or {@code linux-x86_64-musl}. */
    public String resourceDirectory() {
        String base = os + "-" + arch;
        return libc == Libc.MUSL ? base + "-musl" : base;
    }

    /** Returns the jar resource path of the native library for this platform. */
    public String resourcePath(String fileName) {
        return "/native/" + resourceDirectory() + "/" + fileName;
    }

    /** Returns a description for error messages, such as {@code linux x86_64 (glibc)}. */
    public String describe() {
        String base = os + " " + arch;
        if (!os.equals("linux")) {
            return base;
        }
        return base + " (" + (libc == Libc.UNKNOWN ? "unknown libc" : libc.name().toLowerCase(Locale.ROOT)) + ")";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof NativePlatform that
                && os.equals(that.os) && arch.equals(that.arch) && libc == that.libc;
    }

    @Override
    public int hashCode() {
        return Objects.hash(os, arch, libc);
    }

    @Override
    public String toString() {
        return describe();
    }
}
