package io.qualysciauth.bridge.binding;

import io.qualysciauth.bridge.RegistryLoginReport;
import io.qualysciauth.bridge.Secrets;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The outcome of {@link RegistryBinding#login}: the block's private
 * {@code DOCKER_CONFIG} directory with the login in it, and the forms of the
 * registry password to mask while the block runs.
 *
 * <p>{@link #close()} deletes the directory and clears the forms held here.
 * A host that deletes the directory itself later (after a Jenkins block,
 * which may outlive this object) calls {@link #detach()} instead.
 * {@link #toString()} shows no secret.
 */
public final class BoundRegistry implements AutoCloseable {
    private final RegistryLoginReport report;
    private final PrivateDirectory directory;
    private final List<char[]> maskForms;
    private boolean detached;

    BoundRegistry(RegistryLoginReport report, PrivateDirectory directory, List<char[]> maskForms) {
        this.report = report;
        this.directory = directory;
        this.maskForms = maskForms;
    }

    /**
     * Returns what the core reported. Its {@code configPath} names the
     * staging file, which is gone; the block's file is in {@link #directory()}.
     */
    public RegistryLoginReport report() {
        return report;
    }

    /** Returns the block's private directory, which holds {@code config.json}. */
    public PrivateDirectory directory() {
        return directory;
    }

    /** Returns the variables for the block: {@value RegistryBinding#DOCKER_CONFIG_VARIABLE}. */
    public Map<String, String> variables() {
        return Map.of(RegistryBinding.DOCKER_CONFIG_VARIABLE, directory.path());
    }

    /**
     * Returns copies of the password's forms to mask (the password, its
     * base64 and URL-encoded forms, and the base64 of {@code user:password}
     * that {@code config.json} holds), longest first; the caller clears them.
     */
    public List<char[]> maskForms() {
        List<char[]> copies = new ArrayList<>(maskForms.size());
        for (char[] form : maskForms) {
            copies.add(form.clone());
        }
        return copies;
    }

    /** Returns one line for the build log: the registry, the user and how the registry verified them. */
    public String describe() {
        return "logged in to the registry " + report.registry() + " as " + report.username().orElse("?")
                + " (" + report.verification().orElse("unverified") + " authentication); DOCKER_CONFIG is "
                + directory.path();
    }

    /**
     * Clears the forms held here and leaves the directory to the caller, who
     * must {@link PrivateDirectory#delete()} it; {@link #close()} then does nothing.
     */
    public PrivateDirectory detach() {
        detached = true;
        Secrets.clearAll(maskForms);
        return directory;
    }

    /**
     * Deletes the directory, unless it was detached, and clears the forms
     * held here. An interrupted deletion keeps the thread's interrupt flag
     * and throws {@link InterruptedIOException}.
     */
    @Override
    public void close() throws IOException {
        Secrets.clearAll(maskForms);
        if (!detached) {
            detached = true;
            try {
                directory.delete();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                InterruptedIOException interrupted = new InterruptedIOException(
                        "deleting " + directory.path() + " was interrupted");
                interrupted.initCause(e);
                throw interrupted;
            }
        }
    }

    @Override
    public String toString() {
        return "BoundRegistry{registry=" + report.registry() + ", username=" + report.username().orElse(null)
                + ", directory=" + directory.path() + ", maskForms=" + maskForms.size() + "}";
    }
}
