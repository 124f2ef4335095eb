package io.qualysciauth.bridge;

import java.util.Objects;
import java.util.Optional;

/** A resolved Qualys API gateway: its base URL and, when it is a known one, its POD. */
public final class Gateway {
    private final String url;
    private final String pod;

    Gateway(String url, String pod) {
        this.url = Objects.requireNonNull(url, "url");
        this.pod = pod == null || pod.isEmpty() ? null : pod;
    }

    /** Returns the base URL without a trailing slash, such as {@code https://gateway.qg1.apps.qualys.com}. */
    public String url() {
        return url;
    }

    /** Returns the POD name such as {@code US1}, or empty for a gateway that is no known POD's. */
    public Optional<String> pod() {
        return Optional.ofNullable(pod);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Gateway that && url.equals(that.url) && Objects.equals(pod, that.pod);
    }

    @Override
    public int hashCode() {
        return Objects.hash(url, pod);
    }

    @Override
    public String toString() {
        return pod == null ? url : url + " (POD " + pod + ")";
    }
}
