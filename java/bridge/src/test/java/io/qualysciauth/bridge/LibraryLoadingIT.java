package io.qualysciauth.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading the native library the way a Jenkins controller does: from the
 * packaged jar, from a configured path, in two class loaders at once, and
 * failing clearly when no library fits.
 */
class LibraryLoadingIT {
    private static final String RESOURCE = "/native/linux-x86_64/libqualys_ci_auth.so";

    @TempDir
    Path temp;

    @AfterEach
    void clearProperty() {
        System.clearProperty(NativeLibrary.PATH_PROPERTY);
    }

    private static Path bridgeJar() {
        Path jar = Path.of(System.getProperty("qualys.test.bridgeJar", "missing"));
        assertTrue(Files.isRegularFile(jar), "the packaged bridge jar " + jar + " exists");
        return jar;
    }

    @Test
    void loadsFromTheJarIntoAPrivateDirectory() throws Exception {
        URL resource = NativeLibrary.class.getResource(RESOURCE);
        assertTrue(resource != null, "the jar has " + RESOURCE);
        assertEquals("jar", resource.getProtocol(), "the test runs against the packaged jar, found " + resource);

        assertTrue(QualysAuth.nativeVersion().matches("\\d+\\.\\d+\\.\\d+.*"));
        Path loaded = NativeLibrary.loadedFrom().orElseThrow();
        assertTrue(loaded.getParent().getFileName().toString().startsWith("qualys-ci-auth-"), loaded.toString());
        assertTrue(Files.notExists(loaded), "the extracted file is deleted once loaded: " + loaded);
    }

    @Test
    void twoClassLoadersShareOneLibraryFile() throws Exception {
        Path library = temp.resolve("libqualys_ci_auth.so");
        try (InputStream in = NativeLibrary.class.getResourceAsStream(RESOURCE)) {
            Files.copy(in, library, StandardCopyOption.REPLACE_EXISTING);
        }
        System.setProperty(NativeLibrary.PATH_PROPERTY, library.toString());

        URL jar = bridgeJar().toUri().toURL();
        try (URLClassLoader first = new URLClassLoader(new URL[] {jar}, ClassLoader.getPlatformClassLoader());
                URLClassLoader second = new URLClassLoader(new URL[] {jar}, ClassLoader.getPlatformClassLoader())) {
            String firstVersion = (String) call(first, "QualysAuth", "nativeVersion");
            String secondVersion = (String) call(second, "QualysAuth", "nativeVersion");
            assertEquals(firstVersion, secondVersion);

            Path firstPath = loadedFrom(first);
            Path secondPath = loadedFrom(second);
            assertEquals(library.toAbsolutePath(), firstPath, "the first loader loads the configured file");
            assertNotEquals(firstPath, secondPath, "the second loader falls back to a copy");
            assertTrue(secondPath.getFileName().toString().startsWith("libqualys_ci_auth-"), secondPath.toString());

            // Objects and exceptions made by native code belong to the caller's loader.
            for (URLClassLoader loader : new URLClassLoader[] {first, second}) {
                Object inspection = call(loader, "QualysAuth", "inspect",
                        new Class<?>[] {char[].class}, (Object) "opaque-value".toCharArray());
                assertSame(loader, inspection.getClass().getClassLoader());

                InvocationTargetException thrown = assertThrows(InvocationTargetException.class,
                        () -> call(loader, "QualysAuth", "resolveGateway",
                                new Class<?>[] {String.class, String.class}, "XX9", null));
                Throwable cause = thrown.getCause();
                assertEquals("io.qualysciauth.bridge.InvalidArgumentException", cause.getClass().getName());
                assertSame(loader, cause.getClass().getClassLoader());
                assertTrue(cause.getMessage().contains("'XX9'"), cause.getMessage());
            }
            assertNotSame(first.loadClass("io.qualysciauth.bridge.QualysAuth"),
                    second.loadClass("io.qualysciauth.bridge.QualysAuth"));
        }
    }

    @Test
    void missingLibraryNamesThePlatform() throws Exception {
        Path jarWithoutNative = temp.resolve("bridge-without-native.jar");
        try (JarFile source = new JarFile(bridgeJar().toFile());
                JarOutputStream out = new JarOutputStream(Files.newOutputStream(jarWithoutNative))) {
            Enumeration<JarEntry> entries = source.entries();
            while (entries.hasMoreElements()) {
                JarEntry entry = entries.nextElement();
                if (entry.getName().startsWith("native/")) {
                    continue;
                }
                out.putNextEntry(new JarEntry(entry.getName()));
                try (InputStream in = source.getInputStream(entry)) {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
        }

        try (URLClassLoader loader = new URLClassLoader(new URL[] {jarWithoutNative.toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            String expected = NativePlatform.current().describe();
            for (int attempt = 0; attempt < 2; attempt++) {
                InvocationTargetException thrown = assertThrows(InvocationTargetException.class,
                        () -> call(loader, "NativeLibrary", "load"));
                Throwable error = thrown.getCause();
                assertEquals(UnsatisfiedLinkError.class, error.getClass());
                assertTrue(error.getMessage().contains(expected), error.getMessage());
                assertTrue(error.getMessage().contains(RESOURCE), error.getMessage());
                assertTrue(error.getMessage().contains(NativeLibrary.PATH_PROPERTY), error.getMessage());
            }
        }
    }

    @Test
    void configuredPathThatIsNoFileIsNamed() throws Exception {
        Path missing = temp.resolve("nowhere/libqualys_ci_auth.so");
        System.setProperty(NativeLibrary.PATH_PROPERTY, missing.toString());
        try (URLClassLoader loader = new URLClassLoader(new URL[] {bridgeJar().toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            InvocationTargetException thrown = assertThrows(InvocationTargetException.class,
                    () -> call(loader, "NativeLibrary", "load"));
            String message = thrown.getCause().getMessage();
            assertTrue(message.contains(missing.toString()), message);
            assertTrue(message.contains(NativeLibrary.PATH_PROPERTY), message);
        }
    }

    private static Path loadedFrom(ClassLoader loader) throws Exception {
        Optional<?> path = (Optional<?>) call(loader, "NativeLibrary", "loadedFrom");
        return (Path) path.orElseThrow();
    }

    private static Object call(ClassLoader loader, String className, String method) throws Exception {
        return call(loader, className, method, new Class<?>[0]);
    }

    private static Object call(ClassLoader loader, String className, String method, Class<?>[] types,
            Object... arguments) throws Exception {
        Class<?> type = Class.forName("io.qualysciauth.bridge." + className, true, loader);
        Method target = type.getMethod(method, types);
        return target.invoke(null, arguments);
    }
}
