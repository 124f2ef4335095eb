package io.qualysciauth.bridge.binding;

import java.io.IOException;

/**
 * A directory that only the build's user can enter, on the file system where
 * the pipeline block runs, for files that hold secrets (Docker's
 * {@code config.json}). The bridge implements it for local paths
 * ({@link LocalPrivateDirectory}); a Jenkins plugin implements it for a
 * workspace on an agent.
 */
public interface PrivateDirectory {
    /** Creates private directories. */
    @FunctionalInterface
    interface Factory {
        /** Creates a new, empty directory with mode 0700 whose name starts with {@code prefix}. */
        PrivateDirectory create(String prefix) throws IOException, InterruptedException;
    }

    /** Returns the directory's absolute path where the block runs. */
    String path();

    /** Writes {@code content} to the file {@code name} in this directory, with mode 0600. */
    void write(String name, byte[] content) throws IOException, InterruptedException;

    /** Deletes the directory and everything in it; a directory that is gone already is fine. */
    void delete() throws IOException, InterruptedException;
}
