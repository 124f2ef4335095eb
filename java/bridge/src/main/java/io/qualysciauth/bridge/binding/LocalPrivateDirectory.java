package io.qualysciauth.bridge.binding;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link PrivateDirectory} on this machine's file system. Directories are
 * created with mode 0700 and files with mode 0600 in the same system call
 * that creates them, so there is no moment with wider permissions. This
 * needs a POSIX file system, which every platform the native library ships
 * for has.
 */
public final class LocalPrivateDirectory implements PrivateDirectory {
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private final Path directory;

    private LocalPrivateDirectory(Path directory) {
        this.directory = directory;
    }

    /**
     * Returns a factory that creates directories inside {@code parent},
     * creating {@code parent} itself first when it is missing.
     */
    public static Factory in(Path parent) {
        Objects.requireNonNull(parent, "parent");
        return prefix -> create(parent, prefix);
    }

    /** Creates a new private directory inside {@code parent}. */
    public static LocalPrivateDirectory create(Path parent, String prefix) throws IOException {
        Files.createDirectories(parent);
        return new LocalPrivateDirectory(Files.createTempDirectory(parent, prefix, DIRECTORY_MODE).toAbsolutePath());
    }

    /** Creates a new private directory in the system's temporary directory ({@code java.io.tmpdir}). */
    public static LocalPrivateDirectory createInSystemTemp(String prefix) throws IOException {
        return new LocalPrivateDirectory(Files.createTempDirectory(prefix, DIRECTORY_MODE).toAbsolutePath());
    }

    /** Returns the directory. */
    public Path directory() {
        return directory;
    }

    @Override
    public String path() {
        return directory.toString();
    }

    @Override
    public void write(String name, byte[] content) throws IOException {
        Path file = directory.resolve(name);
        if (!file.getParent().equals(directory)) {
            throw new IllegalArgumentException("the file name '" + name + "' is not a plain name inside "
                    + directory);
        }
        Files.createFile(file, FILE_MODE);
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(content);
        }
    }

    @Override
    public void delete() throws IOException {
        deleteTree(directory);
    }

    /** Deletes {@code root} and everything below it, without following symbolic links. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                deleteIfPresent(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                deleteIfPresent(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteIfPresent(Path path) throws IOException {
        try {
            Files.delete(path);
        } catch (NoSuchFileException gone) {
            // Deleted by someone else in the meantime, which is the goal.
        }
    }

    @Override
    public String toString() {
        return "LocalPrivateDirectory{" + directory + "}";
    }
}
