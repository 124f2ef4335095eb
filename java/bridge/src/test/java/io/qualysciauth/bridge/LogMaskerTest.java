package io.qualysciauth.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogMaskerTest {
    private static String mask(LogMasker masker, String line, Charset charset) {
        return new String(masker.mask(line.getBytes(charset)), charset);
    }

    @Test
    void masksEveryOccurrence() {
        try (LogMasker masker = LogMasker.of(List.of("s3cr3t-value".toCharArray()), StandardCharsets.UTF_8)) {
            assertEquals("a **** b ****c", mask(masker, "a s3cr3t-value b s3cr3t-valuec", StandardCharsets.UTF_8));
            assertEquals("no secret here", mask(masker, "no secret here", StandardCharsets.UTF_8));
            assertEquals("****", mask(masker, "s3cr3t-value", StandardCharsets.UTF_8));
            assertEquals("", mask(masker, "", StandardCharsets.UTF_8));
        }
    }

    @Test
    void longestFormWins() {
        List<char[]> forms = List.of("abcdef".toCharArray(), "abcdefghij".toCharArray());
        try (LogMasker masker = LogMasker.of(forms, StandardCharsets.UTF_8)) {
            assertEquals("x****y", mask(masker, "xabcdefghijy", StandardCharsets.UTF_8));
            assertEquals("x****ghiy", mask(masker, "xabcdefghiy", StandardCharsets.UTF_8));
        }
    }

    @Test
    void encodesInTheLogCharset() {
        List<char[]> forms = List.of("pässwörd-ü".toCharArray());
        try (LogMasker utf8 = LogMasker.of(forms, StandardCharsets.UTF_8);
                LogMasker latin1 = LogMasker.of(forms, StandardCharsets.ISO_8859_1)) {
            assertEquals("[****]", mask(utf8, "[pässwörd-ü]", StandardCharsets.UTF_8));
            assertEquals("[****]", mask(latin1, "[pässwörd-ü]", StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void writesOnlyTheGivenRange() throws Exception {
        byte[] buffer = "XXprefix token-123456 suffixYY".getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (LogMasker masker = LogMasker.of(List.of("token-123456".toCharArray()), StandardCharsets.UTF_8)) {
            masker.writeMasked(buffer, 2, buffer.length - 4, out);
        }
        assertEquals("prefix **** suffix", out.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void emptyAndClosedMaskNothing() {
        LogMasker empty = LogMasker.of(List.of(new char[0]), StandardCharsets.UTF_8);
        assertTrue(empty.isEmpty());
        assertEquals("anything", mask(empty, "anything", StandardCharsets.UTF_8));

        LogMasker closed = LogMasker.of(List.of("secret-value".toCharArray()), StandardCharsets.UTF_8);
        closed.close();
        assertEquals("secret-value", mask(closed, "secret-value", StandardCharsets.UTF_8));
        assertEquals("LogMasker{forms=1}", closed.toString());
    }
}
