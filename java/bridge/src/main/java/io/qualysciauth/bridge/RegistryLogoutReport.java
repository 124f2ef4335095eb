package io.qualysciauth.bridge;

import java.util.Optional;

/** The outcome of a registry logout: the fields of the CLI's {@code registry logout --format json}. */
public final class RegistryLogoutReport {
    private final int schemaVersion;
    private final String registry;
    private final String configKey;
    private final String configPath;
    private final boolean removed;
    private final boolean removedFromFile;
    private final String credentialHelper;
    private final Boolean erasedInHelper;

    /** Called by the native library; the argument order is part of the JNI contract. */
    RegistryLogoutReport(int schemaVersion, String registry, String configKey, String configPath, boolean removed,
            boolean removedFromFile, String credentialHelper, Boolean erasedInHelper) {
        this.schemaVersion = schemaVersion;
        this.registry = registry;
        this.configKey = configKey;
        this.configPath = configPath;
        this.removed = removed;
        this.removedFromFile = removedFromFile;
        this.credentialHelper = credentialHelper;
        this.erasedInHelper = erasedInHelper;
    }

    public int schemaVersion() {
        return schemaVersion;
    }

    public String registry() {
        return registry;
    }

    public String configKey() {
        return configKey;
    }

    public String configPath() {
        return configPath;
    }

    /** Returns whether any stored credential was removed, from the file or the helper. */
    public boolean removed() {
        return removed;
    }

    public boolean removedFromFile() {
        return removedFromFile;
    }

    public Optional<String> credentialHelper() {
        return Optional.ofNullable(credentialHelper);
    }

    /** Returns whether the helper had an entry to erase; empty without a helper. */
    public Optional<Boolean> erasedInHelper() {
        return Optional.ofNullable(erasedInHelper);
    }

    @Override
    public String toString() {
        return "RegistryLogoutReport{registry=" + registry + ", removed=" + removed + ", configPath=" + configPath
                + "}";
    }
}
