package io.qualysciauth.bridge;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A session with a Qualys API gateway for one credential, over the native core.
 *
 * <p>With an API token the token is the bearer token. With a user name and
 * password the core exchanges them for a JWT at {@code POST /auth} and caches
 * it for the whole process, so every session and thread with the same
 * gateway and credential shares one request per token lifetime.
 *
 * <p>Safe to share between threads. Calls block the calling thread.
 * {@link #close()} waits for calls in progress; a session that is never
 * closed is freed when it becomes unreachable.
 */
public final class QualysSession implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;

    private QualysSession(long raw) {
        this.handle = new Handle(raw);
        this.cleanable = CLEANER.register(this, handle);
    }

    /**
     * Opens a session: checks the gateway, the credential and the rule that
     * pairs them, and sends nothing yet.
     *
     * <p>The credential's secret array is passed to the native library and
     * cleared before this method returns, whether it succeeds or fails. A
     * proxy password in {@code options} stays the caller's to clear.
     */
    public static QualysSession open(SessionOptions options, Credential credential) throws QualysAuthException {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(credential, "credential");
        try {
            NativeLibrary.load();
            return new QualysSession(options.openNative(credential));
        } finally {
            credential.close();
        }
    }

    /** Authenticates, verifies the token with one Container Security call, and reports it. */
    public LoginSummary login() throws QualysAuthException {
        return handle.call(NativeBridge::login);
    }

    /** Verifies the current bearer token with one Container Security call. */
    public void verify() throws QualysAuthException {
        handle.call(raw -> {
            NativeBridge.verify(raw);
            return null;
        });
    }

    /**
     * Returns a bearer token that is valid now, fetching or refreshing a JWT
     * when needed. This is the one place where the bridge hands out a secret:
     * the caller owns the array and must clear it (see {@link Secrets#clear(char[])}).
     */
    public char[] bearerToken() throws QualysAuthException {
        return handle.call(NativeBridge::bearerToken);
    }

    /**
     * Returns every form of this session's secrets that a log masker must
     * hide: the token or password, its base64, URL-encoded and JSON-escaped
     * forms, and those of the cached JWT, longest first. The caller owns the
     * arrays and clears them (see {@link Secrets#clearAll}).
     */
    public List<char[]> maskForms() throws QualysAuthException {
        char[][] forms = handle.call(NativeBridge::maskForms);
        return Collections.unmodifiableList(new ArrayList<>(Arrays.asList(forms)));
    }

    /**
     * Verifies the token with one Container Security call and judges it
     * against the token policy: rotation, scopes, expiry, one token per
     * environment (against the session's audit log), and the verification.
     * A verification that fails is a failed check in the report, not an
     * exception. With an audit log, the verification is recorded in it.
     *
     * @throws InvalidArgumentException for an invalid policy file or setting
     * @throws QualysAuthException when no token could be obtained at all,
     *     such as after a rejected password
     */
    public PolicyReport check(PolicyOptions options) throws QualysAuthException {
        Objects.requireNonNull(options, "options");
        return handle.call(options::checkNative);
    }

    /** Frees the native session once calls in progress have returned; later calls throw {@link IllegalStateException}. */
    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "QualysSession{" + (handle.isOpen() ? "open" : "closed") + "}";
    }

    /** A native call on the session handle. */
    @FunctionalInterface
    private interface NativeCall<T> {
        T apply(long raw) throws QualysAuthException;
    }

    /**
     * The native handle and the lock that keeps {@code close} from freeing it
     * during a call. It refers to no {@link QualysSession}, so the cleaner can
     * run it once the session is unreachable.
     */
    private static final class Handle implements Runnable {
        private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        private long raw;

        Handle(long raw) {
            this.raw = raw;
        }

        <T> T call(NativeCall<T> call) throws QualysAuthException {
            lock.readLock().lock();
            try {
                if (raw == 0) {
                    throw new IllegalStateException("the session is closed; open a new one");
                }
                return call.apply(raw);
            } finally {
                lock.readLock().unlock();
            }
        }

        boolean isOpen() {
            lock.readLock().lock();
            try {
                return raw != 0;
            } finally {
                lock.readLock().unlock();
            }
        }

        @Override
        public void run() {
            lock.writeLock().lock();
            try {
                long toFree = raw;
                raw = 0;
                if (toFree != 0) {
                    NativeBridge.close(toFree);
                }
            } catch (QualysAuthException e) {
                // close only frees memory; the native side reports no error for it.
                throw new IllegalStateException("closing the native session failed: " + e.getMessage(), e);
            } finally {
                lock.writeLock().unlock();
            }
        }
    }
}
