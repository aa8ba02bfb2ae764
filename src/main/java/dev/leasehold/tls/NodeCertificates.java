package dev.leasehold.tls;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * One identity's certificates, read from a certificates directory ({@link CertificateAuthority}):
 * its key and certificate ({@code NAME.key}, {@code NAME.crt}) and the namespace's authority
 * ({@code ca.crt}), the only one its links trust. Immutable; the managers it hands out are the
 * JDK's, thread-safe.
 */
public final class NodeCertificates {
  public static final String CA_CERT = "ca.crt";
  public static final String CA_KEY = "ca.key";

  private final String name;
  private final X509KeyManager keyManager;
  private final X509TrustManager trustManager;

  private NodeCertificates(String name, X509KeyManager keyManager, X509TrustManager trustManager) {
    this.name = name;
    this.keyManager = keyManager;
    this.trustManager = trustManager;
  }

  /**
   * Reads {@code name}'s key and certificate and the authority from {@code dir}.
   *
   * @throws IOException if a file is missing or is not what it should be; the message names it
   */
  public static NodeCertificates load(Path dir, String name) throws IOException {
    X509Certificate ca = readCerts(dir.resolve(CA_CERT)).get(0);
    List<X509Certificate> chain = readCerts(dir.resolve(name + ".crt"));
    PrivateKey key = readKey(dir.resolve(name + ".key"));
    try {
      chain.get(0).verify(ca.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new IOException(
          name + ".crt in " + dir + " was not issued by the authority of " + CA_CERT);
    }
    try {
      return new NodeCertificates(name, keyManager(key, chain), trusting(ca));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot use the key of " + name + " in " + dir + ": " + e, e);
    }
  }

  /**
   * A TLS context for a client that presents no certificate and trusts only the authority in {@code
   * dir}'s {@code ca.crt}: what operators' tools use to reach a site's admin endpoint.
   *
   * @throws IOException if {@code ca.crt} is missing or is not a certificate
   */
  public static SSLContext clientTrusting(Path dir) throws IOException {
    X509Certificate ca = readCerts(dir.resolve(CA_CERT)).get(0);
    try {
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(null, new TrustManager[] {trusting(ca)}, null);
      return c;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot trust " + dir.resolve(CA_CERT) + ": " + e, e);
    }
  }

  private static X509TrustManager trusting(X509Certificate ca)
      throws GeneralSecurityException, IOException {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    return x509(tmf.getTrustManagers());
  }

  /** The JDK's key manager presenting {@code chain} with {@code key}. */
  static X509KeyManager keyManager(PrivateKey key, List<X509Certificate> chain)
      throws GeneralSecurityException, IOException {
    char[] none = new char[0];
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("key", key, none, chain.toArray(X509Certificate[]::new));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, none);
    return (X509KeyManager) kmf.getKeyManagers()[0];
  }

  private static X509TrustManager x509(TrustManager[] managers) {
    for (TrustManager m : managers) {
      if (m instanceof X509TrustManager x) {
        return x;
      }
    }
    throw new IllegalStateException("the JDK offers no X.509 trust manager");
  }

  public String name() {
    return name;
  }

  /** Presents this identity's certificate. */
  public X509KeyManager keyManager() {
    return keyManager;
  }

  /** Trusts only certificates of the namespace's authority. */
  public X509TrustManager trustManager() {
    return trustManager;
  }

  /** A TLS context presenting this identity and trusting only the namespace's authority. */
  public SSLContext sslContext() {
    try {
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(new KeyManager[] {keyManager}, new TrustManager[] {trustManager}, null);
      return c;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK offers no TLS", e);
    }
  }

  /** The certificates in a PEM file, in order. */
  static List<X509Certificate> readCerts(Path file) throws IOException {
    List<X509Certificate> certs = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser pem = new PEMParser(r)) {
      Object o;
      while ((o = pem.readObject()) != null) {
        if (o instanceof X509CertificateHolder h) {
          certs.add(new JcaX509CertificateConverter().getCertificate(h));
        }
      }
    } catch (NoSuchFileException e) {
      throw new IOException("no certificate file " + file + " (see `leasehold certs --help`)");
    } catch (GeneralSecurityException e) {
      throw new IOException(file + " holds a certificate the JDK cannot read: " + e.getMessage());
    }
    if (certs.isEmpty()) {
      throw new IOException(file + " holds no PEM certificate");
    }
    return certs;
  }

  /** The private key in a PEM file (PKCS#8, or the older EC and RSA forms). */
  static PrivateKey readKey(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser pem = new PEMParser(r)) {
      Object o = pem.readObject();
      JcaPEMKeyConverter convert = new JcaPEMKeyConverter();
      if (o instanceof PrivateKeyInfo info) {
        return convert.getPrivateKey(info);
      }
      if (o instanceof PEMKeyPair pair) {
        return convert.getKeyPair(pair).getPrivate();
      }
      throw new IOException(file + " holds no unencrypted PEM private key");
    } catch (NoSuchFileException e) {
      throw new IOException("no key file " + file + " (see `leasehold certs --help`)");
    }
  }
}
