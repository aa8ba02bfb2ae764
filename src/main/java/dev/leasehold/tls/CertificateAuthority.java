package dev.leasehold.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The namespace's certificate authority, as files in one directory (docs/security.md): {@code
 * ca.crt} and {@code ca.key}, and for each identity {@code NAME.crt} and {@code NAME.key}, all PEM.
 * Keys are ECDSA P-256, written 0600 (PKCS#8); certificates are signed SHA256withECDSA. A node's
 * certificate serves and calls (server and client authentication, its hosts as subject alternative
 * names); a client's only calls. Nothing is overwritten: a name that exists is refused.
 *
 * <p>Stateless: each method reads and writes its files and returns.
 */
public final class CertificateAuthority {
  /** How long the authority's own certificate is valid. */
  public static final Duration CA_LIFETIME = Duration.ofDays(10 * 365);

  /** How long a node's or client's certificate is valid. */
  public static final Duration LEAF_LIFETIME = Duration.ofDays(5 * 365);

  /** A name is what a site or peer is called: 1–64 of letters, digits, dot, dash, underscore. */
  private static final String NAME = "[A-Za-z0-9._-]{1,64}";

  private static final SecureRandom RANDOM = new SecureRandom();

  private CertificateAuthority() {}

  /** Creates {@code ca.crt} and {@code ca.key} in {@code dir} (made if missing, 0700). */
  public static X509Certificate createCa(Path dir) throws IOException {
    Files.createDirectories(dir);
    restrict(dir, "rwx------");
    refuseExisting(dir.resolve(NodeCertificates.CA_CERT), dir.resolve(NodeCertificates.CA_KEY));
    KeyPair keys = newKeys();
    X500Name subject =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, "Leasehold")
            .addRDN(BCStyle.CN, "Leasehold namespace CA " + Long.toHexString(RANDOM.nextLong()))
            .build();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          builder(subject, subject, keys.getPublic(), CA_LIFETIME)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  ext.createSubjectKeyIdentifier(keys.getPublic()));
      X509Certificate cert = sign(b, keys.getPrivate());
      writeKey(dir.resolve(NodeCertificates.CA_KEY), keys.getPrivate());
      writeCert(dir.resolve(NodeCertificates.CA_CERT), cert);
      return cert;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot make an ECDSA certificate", e);
    }
  }

  /**
   * Issues {@code NAME.crt} and {@code NAME.key} for a node (a site or coordinator peer named
   * {@code name}), valid for each of {@code hosts} (host names or IP addresses).
   */
  public static X509Certificate createNode(Path dir, String name, List<String> hosts)
      throws IOException {
    return issue(dir, name, Role.NODE, hosts);
  }

  /** Issues {@code NAME.crt} and {@code NAME.key} for a person or tool, an operator if asked. */
  public static X509Certificate createClient(Path dir, String name, boolean operator)
      throws IOException {
    return issue(dir, name, operator ? Role.OPERATOR : Role.CLIENT, List.of());
  }

  private static X509Certificate issue(Path dir, String name, Role role, List<String> hosts)
      throws IOException {
    if (!name.matches(NAME) || name.equals("ca")) {
      throw new IllegalArgumentException(
          "a certificate's name is 1-64 letters, digits, '.', '-' or '_', and not 'ca': '"
              + name
              + "'");
    }
    Path crt = dir.resolve(name + ".crt");
    Path key = dir.resolve(name + ".key");
    refuseExisting(crt, key);
    PrivateKey caKey = NodeCertificates.readKey(dir.resolve(NodeCertificates.CA_KEY));
    X509Certificate ca = NodeCertificates.readCerts(dir.resolve(NodeCertificates.CA_CERT)).get(0);
    KeyPair keys = newKeys();
    X500Name subject =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, "Leasehold")
            .addRDN(BCStyle.OU, role.unit())
            .addRDN(BCStyle.CN, name)
            .build();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          builder(
                  X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
                  subject,
                  keys.getPublic(),
                  LEAF_LIFETIME)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  role == Role.NODE
                      ? new ExtendedKeyUsage(
                          new KeyPurposeId[] {
                            KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                          })
                      : new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  ext.createSubjectKeyIdentifier(keys.getPublic()))
              .addExtension(
                  Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
      if (!hosts.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, alternativeNames(hosts));
      }
      X509Certificate cert = sign(b, caKey);
      writeKey(key, keys.getPrivate());
      writeCert(crt, cert);
      return cert;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot make an ECDSA certificate", e);
    }
  }

  private static GeneralNames alternativeNames(List<String> hosts) {
    List<GeneralName> names = new ArrayList<>();
    for (String h : hosts) {
      String host = h.trim();
      if (host.isEmpty()) {
        throw new IllegalArgumentException("an empty --host");
      }
      names.add(
          isAddress(host)
              ? new GeneralName(GeneralName.iPAddress, host)
              : new GeneralName(GeneralName.dNSName, host));
    }
    return new GeneralNames(names.toArray(GeneralName[]::new));
  }

  /** An IPv4 or IPv6 literal (never resolved: {@code InetAddress} is only asked to parse it). */
  private static boolean isAddress(String host) {
    if (!host.matches("[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*")) {
      return false;
    }
    try {
      InetAddress.getByName(host);
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private static JcaX509v3CertificateBuilder builder(
      X500Name issuer, X500Name subject, PublicKey key, Duration lifetime) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        new BigInteger(127, RANDOM).add(BigInteger.ONE),
        Date.from(now.minus(Duration.ofHours(1))), // a peer's clock a little behind still accepts
        Date.from(now.plus(lifetime)),
        subject,
        key);
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static KeyPair newKeys() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot make a P-256 key", e);
    }
  }

  private static void refuseExisting(Path... files) throws IOException {
    for (Path f : files) {
      if (Files.exists(f)) {
        throw new FileAlreadyExistsException(f.toString(), null, "exists; nothing was written");
      }
    }
  }

  private static void writeKey(Path file, PrivateKey key) throws IOException {
    write(file, pem(new JcaPKCS8Generator(key, null)), "rw-------");
  }

  private static void writeCert(Path file, X509Certificate cert) throws IOException {
    write(file, pem(cert), "rw-r--r--");
  }

  private static String pem(Object o) {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(text)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.toString();
  }

  /** Writes {@code text} with {@code mode} from its first byte (a temporary file, then a move). */
  private static void write(Path file, String text, String mode) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(
        tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
    Files.writeString(tmp, text, StandardCharsets.US_ASCII);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void restrict(Path dir, String mode) throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
  }
}
