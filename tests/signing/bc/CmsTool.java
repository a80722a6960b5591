// The second, independent CMS implementation in the tests: BouncyCastle (Debian's libbcprov-java
// and libbcpkix-java), driven from tests/signing/bouncycastle.py. It signs as a BouncyCastle user
// would and verifies as a BouncyCastle user would; the profile's own rules (P-256 only, SHA-256
// only, signing-time required, one signer...) are deliberately NOT re-implemented here: where
// BouncyCastle accepts what our verifier refuses, the tests record that the rule is ours alone.
//
//   sign   --cert CERT.pem --key KEY.pem [--chain CA.pem]... --in CONTENT --out OUT.p7m
//          [--detached] [--keyid] [--algorithm SHA256withECDSA] [--ber]
//   sign   --jobs JOBS.tsv        (each line: one sign command's arguments, tab-separated)
//   verify --ca ROOT.pem [--ca ...] [--crl CRL]... --jobs JOBS.tsv
//
// A verify jobs file has one line per file: NAME <TAB> SIGNED_FILE [<TAB> DETACHED_CONTENT].
// verify prints one JSON object per job on stdout (one JVM for a whole corpus): its verdict
// ("accepted" or "refused"), the reason, and what BouncyCastle saw (algorithms, signed attributes,
// signer count, key, the SHA-256 of the signed content).

import java.io.FileReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Security;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.SignerInformationStore;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.util.CollectionStore;
import org.bouncycastle.util.Store;

public final class CmsTool {
    private static final String BC = BouncyCastleProvider.PROVIDER_NAME;

    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        if (args.length == 0) {
            usage();
        }
        Options options = new Options(args);
        switch (args[0]) {
            case "sign" -> sign(options);
            case "verify" -> verify(options);
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: CmsTool sign --cert C --key K [--chain X]... --in F --out O [--detached] [--keyid]"
                + " [--algorithm A] [--ber] | sign --jobs J | verify --ca R [--ca R]... [--crl L]... --jobs J");
        System.exit(2);
    }

    // --- sign --------------------------------------------------------------------------------

    private static void sign(Options options) throws Exception {
        if (options.flag("--jobs")) {
            for (String line : Files.readAllLines(Path.of(options.one("--jobs")), StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    signOne(new Options(("sign\t" + line).split("\t")));
                }
            }
        } else {
            signOne(options);
        }
    }

    private static void signOne(Options options) throws Exception {
        X509CertificateHolder certificate = readCertificates(options.one("--cert")).get(0);
        List<X509CertificateHolder> certificates = new ArrayList<>(List.of(certificate));
        for (String chain : options.all("--chain")) {
            certificates.addAll(readCertificates(chain));
        }
        PrivateKey key = readPrivateKey(options.one("--key"));
        String algorithm = options.optional("--algorithm", "SHA256withECDSA");
        ContentSigner contentSigner = new JcaContentSignerBuilder(algorithm).setProvider(BC).build(key);
        JcaSignerInfoGeneratorBuilder builder =
                new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().setProvider(BC).build());

        CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
        if (options.flag("--keyid")) {
            byte[] keyId = SubjectKeyIdentifier.fromExtensions(certificate.getExtensions()).getKeyIdentifier();
            generator.addSignerInfoGenerator(builder.build(contentSigner, keyId));
        } else {
            generator.addSignerInfoGenerator(builder.build(contentSigner, certificate));
        }
        generator.addCertificates(new CollectionStore<>(certificates));
        byte[] content = Files.readAllBytes(Path.of(options.one("--in")));
        CMSSignedData signed = generator.generate(new CMSProcessableByteArray(content), !options.flag("--detached"));
        byte[] encoded = options.flag("--ber") ? signed.getEncoded() : signed.getEncoded(ASN1Encoding.DER);
        Files.write(Path.of(options.one("--out")), encoded);
    }

    private static List<X509CertificateHolder> readCertificates(String path) throws Exception {
        List<X509CertificateHolder> certificates = new ArrayList<>();
        try (Reader reader = new FileReader(path, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(reader)) {
            for (Object item = parser.readObject(); item != null; item = parser.readObject()) {
                if (item instanceof X509CertificateHolder holder) {
                    certificates.add(holder);
                }
            }
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException(path + " holds no certificate");
        }
        return certificates;
    }

    private static PrivateKey readPrivateKey(String path) throws Exception {
        try (Reader reader = new FileReader(path, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(reader)) {
            return new JcaPEMKeyConverter().setProvider(BC).getPrivateKey((PrivateKeyInfo) parser.readObject());
        }
    }

    // --- verify ------------------------------------------------------------------------------

    private static void verify(Options options) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509", BC);
        Set<TrustAnchor> anchors = new HashSet<>();
        for (String ca : options.all("--ca")) {
            try (var in = Files.newInputStream(Path.of(ca))) {
                for (var certificate : factory.generateCertificates(in)) {
                    anchors.add(new TrustAnchor((X509Certificate) certificate, null));
                }
            }
        }
        List<X509CRL> crls = new ArrayList<>();
        for (String crl : options.all("--crl")) {
            try (var in = Files.newInputStream(Path.of(crl))) {
                for (var each : factory.generateCRLs(in)) {
                    crls.add((X509CRL) each);
                }
            }
        }
        for (String line : Files.readAllLines(Path.of(options.one("--jobs")), StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            String[] job = line.split("\t");
            Path content = job.length > 2 && !job[2].isEmpty() ? Path.of(job[2]) : null;
            Result result = new Result(job[0]);
            try {
                verifyOne(Path.of(job[1]), content, anchors, crls, result);
                result.verdict = "accepted";
            } catch (Refusal refusal) {
                result.refuse(refusal.getMessage());
            } catch (Exception | StackOverflowError failure) {
                result.refuse(failure.getClass().getSimpleName() + ": " + failure.getMessage());
            }
            System.out.println(result.json());
        }
    }

    private static void verifyOne(Path file, Path detached, Set<TrustAnchor> anchors, List<X509CRL> crls, Result result)
            throws Exception {
        byte[] encoded = Files.readAllBytes(file);
        CMSSignedData signed = detached == null
                ? new CMSSignedData(encoded)
                : new CMSSignedData(new CMSProcessableByteArray(Files.readAllBytes(detached)), encoded);
        SignerInformationStore signers = signed.getSignerInfos();
        result.signers = signers.size();
        result.contentType = signed.getSignedContentTypeOID();
        if (signers.size() == 0) {
            throw new Refusal("the SignedData carries no signer, so nothing verifies");
        }
        if (signed.getSignedContent() == null) {
            throw new Refusal("a detached signature was given without its content");
        }
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter().setProvider(BC);
        Store<X509CertificateHolder> store = signed.getCertificates();
        List<Object> fileCertificatesAndCrls = new ArrayList<>(crls);
        for (X509CertificateHolder holder : store.getMatches(null)) {
            fileCertificatesAndCrls.add(converter.getCertificate(holder));
        }
        for (SignerInformation signer : signers.getSigners()) {
            result.digest = signer.getDigestAlgOID();
            result.signature = signer.getEncryptionAlgOID();
            AttributeTable attributes = signer.getSignedAttributes();
            result.signedAttributes = new ArrayList<>();
            if (attributes == null) {
                result.signedAttributes = null;
            } else {
                for (Attribute attribute : attributes.toASN1Structure().getAttributes()) {
                    result.signedAttributes.add(attribute.getAttrType().getId());
                }
            }
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> matches = store.getMatches(signer.getSID());
            if (matches.isEmpty()) {
                throw new Refusal("the signer's certificate is not in the file");
            }
            X509CertificateHolder holder = matches.iterator().next();
            X509Certificate certificate = converter.getCertificate(holder);
            result.key = describe(certificate.getPublicKey());
            boolean[] usage = certificate.getKeyUsage();
            result.digitalSignature = usage != null && usage[0];
            if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BC).build(holder))) {
                throw new Refusal("the signature does not verify");
            }
            Date signingTime = signingTime(attributes);
            validatePath(certificate, fileCertificatesAndCrls, anchors, !crls.isEmpty(),
                    signingTime != null ? signingTime : new Date());
        }
        byte[] content = (byte[]) signed.getSignedContent().getContent();
        result.contentSha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    private static Date signingTime(AttributeTable attributes) {
        if (attributes == null) {
            return null;
        }
        Attribute attribute = attributes.get(CMSAttributes.signingTime);
        return attribute == null ? null : Time.getInstance(attribute.getAttrValues().getObjectAt(0)).getDate();
    }

    /** PKIX (RFC 5280) path building, BouncyCastle's provider: only the given anchors, at ``moment``. */
    private static void validatePath(X509Certificate signer, List<Object> certificatesAndCrls,
            Set<TrustAnchor> anchors, boolean revocation, Date moment) throws Exception {
        X509CertSelector target = new X509CertSelector();
        target.setCertificate(signer);
        PKIXBuilderParameters parameters = new PKIXBuilderParameters(anchors, target);
        parameters.addCertStore(
                CertStore.getInstance("Collection", new CollectionCertStoreParameters(certificatesAndCrls), BC));
        parameters.setRevocationEnabled(revocation);
        parameters.setDate(moment);
        try {
            CertPathBuilder.getInstance("PKIX", BC).build(parameters);
        } catch (Exception failure) {
            Throwable cause = failure;
            StringBuilder reasons = new StringBuilder("no valid certification path to a given anchor");
            while (cause != null) {
                reasons.append(": ").append(cause.getMessage());
                cause = cause.getCause();
            }
            throw new Refusal(reasons.toString());
        }
    }

    private static String describe(PublicKey key) {
        if (key instanceof ECPublicKey ec) {
            return "EC-" + ec.getParams().getCurve().getField().getFieldSize();
        }
        if (key instanceof RSAPublicKey rsa) {
            return "RSA-" + rsa.getModulus().bitLength();
        }
        return key.getAlgorithm();
    }

    // --- plumbing ----------------------------------------------------------------------------

    private static final class Refusal extends Exception {
        Refusal(String message) {
            super(message);
        }
    }

    private static final class Result {
        final String name;
        String verdict;
        String reason;
        int signers = -1;
        String contentType;
        String digest;
        String signature;
        List<String> signedAttributes;
        String key;
        Boolean digitalSignature;
        String contentSha256;

        Result(String name) {
            this.name = name;
        }

        void refuse(String why) {
            verdict = "refused";
            reason = why;
        }

        String json() {
            StringBuilder out = new StringBuilder("{");
            field(out, "name", name).append(',');
            field(out, "verdict", verdict).append(',');
            field(out, "reason", reason).append(',');
            out.append("\"signers\":").append(signers).append(',');
            field(out, "content_type", contentType).append(',');
            field(out, "digest", digest).append(',');
            field(out, "signature", signature).append(',');
            out.append("\"signed_attributes\":");
            if (signedAttributes == null) {
                out.append("null");
            } else {
                out.append('[');
                for (int i = 0; i < signedAttributes.size(); i++) {
                    out.append(i == 0 ? "" : ",").append(quote(signedAttributes.get(i)));
                }
                out.append(']');
            }
            out.append(',');
            field(out, "key", key).append(',');
            out.append("\"digital_signature\":").append(digitalSignature).append(',');
            field(out, "content_sha256", contentSha256);
            return out.append('}').toString();
        }

        private static StringBuilder field(StringBuilder out, String name, String value) {
            return out.append(quote(name)).append(':').append(value == null ? "null" : quote(value));
        }

        private static String quote(String text) {
            StringBuilder out = new StringBuilder("\"");
            for (char c : text.toCharArray()) {
                if (c == '"' || c == '\\') {
                    out.append('\\').append(c);
                } else if (c < 0x20 || c > 0x7e) {
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
            return out.append('"').toString();
        }
    }

    private static final class Options {
        private final String[] args;

        Options(String[] args) {
            this.args = args;
        }

        List<String> all(String name) {
            List<String> values = new ArrayList<>();
            for (int i = 1; i < args.length - 1; i++) {
                if (args[i].equals(name)) {
                    values.add(args[i + 1]);
                }
            }
            return values;
        }

        String one(String name) {
            List<String> values = all(name);
            if (values.size() != 1) {
                throw new IllegalArgumentException("exactly one " + name + " is required");
            }
            return values.get(0);
        }

        String optional(String name, String fallback) {
            List<String> values = all(name);
            return values.isEmpty() ? fallback : values.get(0);
        }

        boolean flag(String name) {
            for (int i = 1; i < args.length; i++) {
                if (args[i].equals(name)) {
                    return true;
                }
            }
            return false;
        }
    }
}
