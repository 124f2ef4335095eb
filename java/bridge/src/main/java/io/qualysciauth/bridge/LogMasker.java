package io.qualysciauth.bridge;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Replaces every occurrence of a secret's forms in log output with {@value #MASK}.
 *
 * <p>It works on the encoded bytes of a log line, as a console filter receives
 * them, so the secrets never become {@code String}s. The forms come from
 * {@link QualysSession#maskForms()} or {@link QualysAuth#maskForms}; where two
 * overlap at one position, the longest wins. {@link #close()} clears the
 * encoded forms.
 */
public final class LogMasker implements AutoCloseable {
    /** What each occurrence of a secret is replaced with, as the credentials-binding plugin prints it. */
    public static final String MASK = "****";

    private static final byte[] MASK_BYTES = MASK.getBytes(StandardCharsets.US_ASCII);

    private final byte[][] forms;

    private LogMasker(byte[][] forms) {
        this.forms = forms;
    }

    /**
     * Creates a masker for {@code forms} encoded in {@code charset}, the
     * charset of the log. The arrays are read, not kept or cleared. Empty
     * forms are ignored.
     */
    public static LogMasker of(Collection<char[]> forms, Charset charset) {
        List<byte[]> encoded = new ArrayList<>();
        for (char[] form : forms) {
            if (form != null && form.length > 0) {
                encoded.add(encode(form, charset));
            }
        }
        encoded.sort(Comparator.comparingInt((byte[] bytes) -> bytes.length).reversed());
        return new LogMasker(encoded.toArray(new byte[0][]));
    }

    private static byte[] encode(char[] form, Charset charset) {
        CharsetEncoder encoder = charset.newEncoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        ByteBuffer buffer;
        try {
            buffer = encoder.encode(CharBuffer.wrap(form));
        } catch (CharacterCodingException e) {
            // REPLACE on both error kinds means the encoder reports none.
            throw new IllegalStateException("encoding a mask form failed: " + e.getClass().getSimpleName(), e);
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        if (buffer.hasArray()) {
            Arrays.fill(buffer.array(), (byte) 0);
        }
        return bytes;
    }

    /** Returns whether there is nothing to mask. */
    public boolean isEmpty() {
        return forms.length == 0;
    }

    /** Writes {@code length} bytes of {@code line} from {@code offset} to {@code out}, masking every form. */
    public void writeMasked(byte[] line, int offset, int length, OutputStream out) throws IOException {
        int end = offset + length;
        int copiedUpTo = offset;
        int position = offset;
        while (position < end) {
            int matched = longestMatchAt(line, position, end);
            if (matched > 0) {
                out.write(line, copiedUpTo, position - copiedUpTo);
                out.write(MASK_BYTES);
                position += matched;
                copiedUpTo = position;
            } else {
                position++;
            }
        }
        out.write(line, copiedUpTo, end - copiedUpTo);
    }

    /** Returns {@code line} with every form masked, as a new array. */
    public byte[] mask(byte[] line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(line.length);
        try {
            writeMasked(line, 0, line.length, out);
        } catch (IOException e) {
            throw new IllegalStateException("a ByteArrayOutputStream never fails", e);
        }
        return out.toByteArray();
    }

    private int longestMatchAt(byte[] line, int position, int end) {
        for (byte[] form : forms) {
            if (form.length > 0
                    && form.length <= end - position
                    && form[0] == line[position]
                    && Arrays.equals(line, position, position + form.length, form, 0, form.length)) {
                return form.length;
            }
        }
        return 0;
    }

    /** Clears the encoded forms; the masker masks nothing afterwards. */
    @Override
    public void close() {
        for (int i = 0; i < forms.length; i++) {
            Arrays.fill(forms[i], (byte) 0);
            forms[i] = new byte[0];
        }
    }

    @Override
    public String toString() {
        return "LogMasker{forms=" + forms.length + "}";
    }
}
