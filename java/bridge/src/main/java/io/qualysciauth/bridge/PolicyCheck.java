package io.qualysciauth.bridge;

import java.util.Objects;

/**
 * One check of a {@link PolicyReport}: its ID ({@code rotation}, {@code scopes},
 * {@code expiry}, {@code separate-tokens} or {@code verification}), its status
 * and one sentence for people, which never contains a secret.
 */
public final class PolicyCheck {
    private final String id;
    private final CheckStatus status;
    private final String message;

    PolicyCheck(String id, CheckStatus status, String message) {
        this.id = Objects.requireNonNull(id, "id");
        this.status = Objects.requireNonNull(status, "status");
        this.message = Objects.requireNonNull(message, "message");
    }

    public String id() {
        return id;
    }

    public CheckStatus status() {
        return status;
    }

    public String message() {
        return message;
    }

    @Override
    public String toString() {
        return id + ": " + status.wireName() + ": " + message;
    }
}
