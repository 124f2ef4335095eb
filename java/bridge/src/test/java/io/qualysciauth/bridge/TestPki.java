package io.qualysciauth.bridge;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway certificate authority and a server certificate for
 * {@code localhost} and {@code 127.0.0.1}, made with BouncyCastle (the JDK has
 * no public certificate builder) for test servers started on loopback.
 * Keys are ECDSA P-256, which Go's TLS server and rustls both accept.
 */
public final class TestPki {
    private final String caPem;
    private final Path serverCertificate;
    private final Path serverKey;

    private TestPki(String caPem, Path serverCertificate, Path serverKey) {
        this.caPem = caPem;
        this.serverCertificate = serverCertificate;
        this.serverKey = serverKey;
    }

    /** Generates the CA and the server certificate and writes the server's PEM files into {@code dir}. */
    public static TestPki generate(Path dir) throws Exception {
        Files.createDirectories(dir);
        Instant now = Instant.now();
        Date notBefore = Date.from(now.minus(Duration.ofMinutes(5)));
        Date notAfter = Date.from(now.plus(Duration.ofDays(2)));
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();

        KeyPair caKeys = ecKeyPair();
        X500Name caName = new X500Name("CN=qualys-ci-auth Java test CA");
        JcaX509v3CertificateBuilder caBuilder = new JcaX509v3CertificateBuilder(caName, serial(), notBefore,
                notAfter, caName, caKeys.getPublic());
        caBuilder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        caBuilder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        caBuilder.addExtension(Extension.subjectKeyIdentifier, false,
                extensions.createSubjectKeyIdentifier(caKeys.getPublic()));
        X509Certificate ca = certificate(caBuilder.build(signer(caKeys.getPrivate())));

        KeyPair serverKeys = ecKeyPair();
        JcaX509v3CertificateBuilder serverBuilder = new JcaX509v3CertificateBuilder(caName, serial(), notBefore,
                notAfter, new X500Name("CN=localhost"), serverKeys.getPublic());
        serverBuilder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        serverBuilder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        serverBuilder.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        serverBuilder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
        }));
        serverBuilder.addExtension(Extension.authorityKeyIdentifier, false,
                extensions.createAuthorityKeyIdentifier(ca));
        X509Certificate server = certificate(serverBuilder.build(signer(caKeys.getPrivate())));

        Path certificateFile = dir.resolve("server.crt");
        Files.writeString(certificateFile, pem(server), StandardCharsets.US_ASCII);
        Path keyFile = dir.resolve("server.key");
        Files.writeString(keyFile, pem(new JcaPKCS8Generator(serverKeys.getPrivate(), null)),
                StandardCharsets.US_ASCII);
        return new TestPki(pem(ca), certificateFile, keyFile);
    }

    private static KeyPair ecKeyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(64, new SecureRandom()).add(BigInteger.ONE);
    }

    private static ContentSigner signer(PrivateKey key) throws Exception {
        return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
    }

    private static X509Certificate certificate(X509CertificateHolder holder) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    private static String pem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }

    /** Returns the CA certificate in PEM, for the client's trust roots. */
    public String caPem() {
        return caPem;
    }

    /** Returns the server certificate's PEM file. */
    public Path serverCertificate() {
        return serverCertificate;
    }

    /** Returns the server key's PEM file (PKCS #8). */
    public Path serverKey() {
        return serverKey;
    }
}
