package io.qualysciauth.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.qualysciauth.bridge.NativePlatform.Libc;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativePlatformTest {
    @TempDir
    Path temp;

    @Test
    void normalizesJvmNames() {
        NativePlatform linux = NativePlatform.of("Linux", "amd64", Libc.GLIBC);
        assertEquals("linux", linux.os());
        assertEquals("x86_64", linux.arch());
        assertEquals("linux-x86_64", linux.resourceDirectory());
        assertEquals("/native/linux-x86_64/libqualys_ci_auth.so", linux.resourcePath("libqualys_ci_auth.so"));
        assertEquals("linux x86_64 (glibc)", linux.describe());

        NativePlatform alpine = NativePlatform.of("Linux", "aarch64", Libc.MUSL);
        assertEquals("linux-aarch64-musl", alpine.resourceDirectory());
        assertEquals("linux aarch64 (musl)", alpine.describe());

        NativePlatform mac = NativePlatform.of("Mac OS X", "aarch64", Libc.MUSL);
        assertEquals("macos-aarch64", mac.resourceDirectory(), "libc only matters on Linux");
        assertEquals("macos aarch64", mac.describe());

        assertEquals("windows-x86_64", NativePlatform.of("Windows 11", "x86_64", Libc.UNKNOWN).resourceDirectory());
        assertEquals("linux x86_64 (unknown libc)", NativePlatform.of("Linux", "x86_64", Libc.UNKNOWN).describe());
        assertEquals("freebsd-riscv64", NativePlatform.of("FreeBSD", "riscv64", Libc.UNKNOWN).resourceDirectory());
    }

    @Test
    void detectsLibcFromMappedObjects() throws Exception {
        Path glibc = temp.resolve("glibc-maps");
        Files.writeString(glibc, "7f00-7f01 r-xp 00000000 08:01 1 /usr/lib/x86_64-linux-gnu/libc.so.6\n");
        assertEquals(Libc.GLIBC, NativePlatform.detectLinuxLibc(glibc));

        Path musl = temp.resolve("musl-maps");
        Files.writeString(musl, "7f00-7f01 r-xp 00000000 08:01 1 /lib/ld-musl-x86_64.so.1\n");
        assertEquals(Libc.MUSL, NativePlatform.detectLinuxLibc(musl));

        Path neither = temp.resolve("other-maps");
        Files.writeString(neither, "7f00-7f01 r-xp 00000000 08:01 1 /usr/lib/libz.so.1\n");
        assertEquals(Libc.UNKNOWN, NativePlatform.detectLinuxLibc(neither));
        assertEquals(Libc.UNKNOWN, NativePlatform.detectLinuxLibc(temp.resolve("absent")));
    }

    @Test
    void thisJvmRunsOnGlibcLinux() {
        // The CI machines are Debian on x86_64; this pins what the jar must contain there.
        NativePlatform current = NativePlatform.current();
        if (current.os().equals("linux")) {
            assertEquals(Libc.GLIBC, current.libc());
        }
    }
}
