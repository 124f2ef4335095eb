package io.qualysciauth.bridge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.UUID;

/**
 * Loads the native qualys-ci-auth library, once per class loader of the bridge.
 *
 * <p>This class is the only place that calls {@link System#load}. The library
 * comes from the path in the system property {@value #PATH_PROPERTY} when it
 * is set, and otherwise from this jar at
 * {@code /native/<os>-<arch>[-musl]/libqualys_ci_auth.so} (the file name
 * follows {@link System#mapLibraryName}), extracted into a new temporary
 * directory that only the current user can read.
 *
 * <p>The JVM lets one class loader at a time hold a given library file. When
 * the bridge is loaded a second time (a Jenkins plugin reloaded into a new
 * class loader, say) and the file is already held, the library is loaded
 * from a uniquely named copy instead.
 */
public final class NativeLibrary {
    /** System property with the path of a native library to load instead of the jar's. */
    public static final String PATH_PROPERTY = "qualys.ciauth.library.path";

    /** The library's base name, as passed to {@link System#mapLibraryName}. */
    static final String BASE_NAME = "qualys_ci_auth";

    /** The part of the JVM's message that reports a library held by another class loader (JDK 8 to 25). */
    static final String HELD_ELSEWHERE = "already loaded in another classloader";

    private static Path loadedFrom;
    private static String failure;

    private NativeLibrary() {
    }

    /**
     * Loads the library unless this class loader already has.
     *
     * @throws UnsatisfiedLinkError when no library fits this platform or it
     *     cannot be loaded; the message names the OS, architecture and C
     *     library looked for. A failure is remembered and thrown again.
     */
    public static synchronized void load() {
        if (loadedFrom != null) {
            return;
        }
        if (failure != null) {
            throw new UnsatisfiedLinkError(failure);
        }
        NativePlatform platform = NativePlatform.current();
        try {
            loadedFrom = locateAndLoad(platform);
        } catch (UnsatisfiedLinkError e) {
            failure = e.getMessage();
            throw e;
        }
    }

    /** Returns the file the library was loaded from, once {@link #load()} has succeeded. */
    public static synchronized Optional<Path> loadedFrom() {
        return Optional.ofNullable(loadedFrom);
    }

    private static Path locateAndLoad(NativePlatform platform) {
        String configured = System.getProperty(PATH_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured.trim()).toAbsolutePath();
            if (!Files.isRegularFile(path)) {
                throw linkError("the system property " + PATH_PROPERTY + " names " + path
                        + ", which is not a file; set it to the qualys-ci-auth library built for "
                        + platform.describe() + ", or unset it to use the library inside the jar", null);
            }
            return loadFile(path, platform, false);
        }

        String fileName = System.mapLibraryName(BASE_NAME);
        String resource = platform.resourcePath(fileName);
        Path extracted = extract(resource, fileName, platform);
        return loadFile(extracted, platform, true);
    }

    private static Path extract(String resource, String fileName, NativePlatform platform) {
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw linkError("this jar has no native qualys-ci-auth library for " + platform.describe()
                        + " (looked for " + resource + "); build the library for this platform into the jar, "
                        + "or set the system property " + PATH_PROPERTY + " to its path", null);
            }
            Path file = privateDirectory().resolve(fileName);
            Files.copy(in, file);
            return file;
        } catch (IOException e) {
            throw linkError("extracting " + resource + " to a temporary directory failed: " + e
                    + "; check that java.io.tmpdir is writable, or set " + PATH_PROPERTY, e);
        }
    }

    /**
     * Loads {@code file}; when another class loader holds it, loads a
     * uniquely named copy. Extracted files are deleted once loaded where the
     * OS allows it, so nothing stays behind in the temporary directory.
     */
    private static Path loadFile(Path file, NativePlatform platform, boolean extracted) {
        try {
            System.load(file.toString());
            if (extracted) {
                deleteLoaded(file);
            }
            return file;
        } catch (UnsatisfiedLinkError e) {
            String message = String.valueOf(e.getMessage());
            if (!message.contains(HELD_ELSEWHERE)) {
                throw linkError("loading the native qualys-ci-auth library " + file + " for "
                        + platform.describe() + " failed: " + message, e);
            }
        }

        Path copy;
        try {
            String fileName = file.getFileName().toString();
            int dot = fileName.lastIndexOf('.');
            String unique = dot > 0
                    ? fileName.substring(0, dot) + "-" + UUID.randomUUID() + fileName.substring(dot)
                    : fileName + "-" + UUID.randomUUID();
            copy = privateDirectory().resolve(unique);
            Files.copy(file, copy, StandardCopyOption.COPY_ATTRIBUTES);
        } catch (IOException e) {
            throw linkError("the native library " + file + " is held by another class loader, and copying it "
                    + "to a unique name failed: " + e + "; check that java.io.tmpdir is writable", e);
        }
        try {
            System.load(copy.toString());
        } catch (UnsatisfiedLinkError e) {
            throw linkError("loading a copy of the native qualys-ci-auth library for " + platform.describe()
                    + " failed: " + e.getMessage(), e);
        }
        deleteLoaded(copy);
        if (extracted) {
            deleteLoaded(file);
        }
        return copy;
    }

    /** Creates a new temporary directory that only the current user can open. */
    private static Path privateDirectory() throws IOException {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return Files.createTempDirectory("qualys-ci-auth-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        // Windows: a directory under the user's own temporary directory is private to the user.
        return Files.createTempDirectory("qualys-ci-auth-");
    }

    /** Deletes a loaded library file and its directory; the mapping stays valid on Linux and macOS. */
    private static void deleteLoaded(Path file) {
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(file.getParent());
        } catch (IOException e) {
            // Windows keeps a loaded library open; remove it when the JVM exits.
            // Deletion runs in reverse order of registration: the file, then its directory.
            file.getParent().toFile().deleteOnExit();
            file.toFile().deleteOnExit();
        }
    }

    private static UnsatisfiedLinkError linkError(String message, Throwable cause) {
        UnsatisfiedLinkError error = new UnsatisfiedLinkError(message);
        if (cause != null) {
            error.initCause(cause);
        }
        return error;
    }
}
