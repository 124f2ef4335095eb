package io.qualysciauth.bridge;

import java.util.Arrays;
import java.util.Collection;

/** Clearing helpers for secrets held in arrays. */
public final class Secrets {
    private Secrets() {
    }

    /** Overwrites {@code secret} with zeros; {@code null} is ignored. */
    public static void clear(char[] secret) {
        if (secret != null) {
            Arrays.fill(secret, '\0');
        }
    }

    /** Overwrites {@code secret} with zeros; {@code null} is ignored. */
    public static void clear(byte[] secret) {
        if (secret != null) {
            Arrays.fill(secret, (byte) 0);
        }
    }

    /** Overwrites every array in {@code secrets}; {@code null} is ignored. */
    public static void clearAll(Collection<char[]> secrets) {
        if (secrets != null) {
            secrets.forEach(Secrets::clear);
        }
    }
}
