package io.qualysciauth.jenkins;

import hudson.FilePath;
import io.qualysciauth.bridge.binding.PrivateDirectory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;

/**
 * A private directory where the block runs, possibly on an agent: the
 * {@link PrivateDirectory} of the bridge over Jenkins's {@link FilePath}.
 * Saved with the pipeline's state, so that the directory is deleted after
 * the block even when the controller restarted meanwhile.
 */
final class AgentDirectory implements PrivateDirectory, Serializable {
    private static final long serialVersionUID = 1L;

    private final FilePath directory;

    private AgentDirectory(FilePath directory) {
        this.directory = directory;
    }

    /** Returns a factory that creates directories in {@code parent}, such as a workspace's temporary directory. */
    static Factory in(FilePath parent) {
        return prefix -> {
            parent.mkdirs();
            // FilePath.createTempDir uses Files.createTempDirectory, which creates
            // the directory with mode 0700 on POSIX; chmod covers other file systems.
            FilePath created = parent.createTempDir(prefix, null);
            created.chmod(0700);
            return new AgentDirectory(created);
        };
    }

    @Override
    public String path() {
        return directory.getRemote();
    }

    /** Writes the file inside the 0700 directory, then narrows it to mode 0600. */
    @Override
    public void write(String name, byte[] content) throws IOException, InterruptedException {
        FilePath file = directory.child(name);
        file.copyFrom(new ByteArrayInputStream(content));
        file.chmod(0600);
    }

    @Override
    public void delete() throws IOException, InterruptedException {
        directory.deleteRecursive();
    }

    @Override
    public String toString() {
        return "AgentDirectory{" + directory.getRemote() + "}";
    }
}
