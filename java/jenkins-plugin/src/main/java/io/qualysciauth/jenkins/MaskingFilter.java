package io.qualysciauth.jenkins;

import hudson.console.ConsoleLogFilter;
import hudson.console.LineTransformationOutputStream;
import hudson.model.AbstractBuild;
import hudson.util.Secret;
import io.qualysciauth.bridge.LogMasker;
import io.qualysciauth.bridge.Secrets;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;

/**
 * Masks the token, the credential and their derived forms in the console
 * output of the {@code withQualysAuth} block, line by line, as the
 * credentials-binding plugin does for its bindings. The forms are saved with
 * the pipeline's state as encrypted {@link Secret}s; the matching itself is
 * the bridge's {@link LogMasker}.
 */
final class MaskingFilter extends ConsoleLogFilter implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<Secret> forms;
    private final String charsetName;

    MaskingFilter(List<char[]> forms, Charset charset) {
        this.forms = new ArrayList<>(forms.size());
        for (char[] form : forms) {
            this.forms.add(Secret.fromString(new String(form)));
        }
        this.charsetName = charset.name();
    }

    @Override
    public OutputStream decorateLogger(AbstractBuild build, OutputStream logger) {
        List<char[]> plain = new ArrayList<>(forms.size());
        for (Secret form : forms) {
            plain.add(form.getPlainText().toCharArray());
        }
        LogMasker masker = LogMasker.of(plain, Charset.forName(charsetName));
        Secrets.clearAll(plain);
        return new MaskingStream(logger, masker);
    }

    /** Writes each line through the masker. */
    private static final class MaskingStream extends LineTransformationOutputStream.Delegating {
        private final LogMasker masker;

        MaskingStream(OutputStream out, LogMasker masker) {
            super(out);
            this.masker = masker;
        }

        @Override
        protected void eol(byte[] line, int length) throws IOException {
            masker.writeMasked(line, 0, length, out);
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } finally {
                masker.close();
            }
        }
    }
}
