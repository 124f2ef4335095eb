package io.qualysciauth.bridge.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qualysciauth.bridge.InvalidArgumentException;
import org.junit.jupiter.api.Test;

/** The registry options of {@code withQualysAuth} that need no registry: pairing and the proxy's host. */
class RegistryOptionsIT {
    @Test
    void registryOptionsComeInPairs() throws Exception {
        assertFalse(RegistryBinding.requested(null, " "));
        assertTrue(RegistryBinding.requested("registry.example.com", "robot"));

        InvalidArgumentException noCredential = assertThrows(InvalidArgumentException.class,
                () -> RegistryBinding.requested("registry.example.com", null));
        assertTrue(noCredential.getMessage().contains("registryCredentialsId"), noCredential.getMessage());

        InvalidArgumentException noRegistry = assertThrows(InvalidArgumentException.class,
                () -> RegistryBinding.requested("", "robot"));
        assertTrue(noRegistry.getMessage().contains("'robot'"), noRegistry.getMessage());
    }

    @Test
    void requestHostFollowsTheCoreParser() throws Exception {
        assertEquals("registry-1.docker.io", RegistryBinding.requestHost("alpine"));
        assertEquals("registry-1.docker.io", RegistryBinding.requestHost("alpine:3.20"));
        assertEquals("registry-1.docker.io", RegistryBinding.requestHost("docker.io/library/alpine"));
        assertEquals("ghcr.io", RegistryBinding.requestHost("ghcr.io/org/app:1.0"));
        assertEquals("registry.example.com", RegistryBinding.requestHost("registry.example.com:5000"));
        assertEquals("localhost", RegistryBinding.requestHost("localhost:5000/team/app"));

        InvalidArgumentException invalid = assertThrows(InvalidArgumentException.class,
                () -> RegistryBinding.requestHost("ftp://registry.example.com"));
        assertTrue(invalid.getMessage().contains("ftp"), invalid.getMessage());
    }
}
