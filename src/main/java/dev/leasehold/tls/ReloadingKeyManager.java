package dev.leasehold.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's key and certificate chain from two PEM files (a public certificate for the S3
 * endpoint, {@code --tls-cert}/{@code --tls-key}), read again when either file changes: a renewed
 * certificate is served to new connections without a restart. The files are looked at no more than
 * once a second, on a handshake; a pair that does not load (half-written, a key that does not
 * match) is logged and the previous pair kept.
 *
 * <p>Thread-safe: the current pair is one immutable value behind a volatile field.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final Logger LOG = LoggerFactory.getLogger(ReloadingKeyManager.class);
  private static final long CHECK_NANOS = 1_000_000_000L;

  private record Loaded(X509KeyManager keys, FileTime certTime, FileTime keyTime) {}

  private final Path cert;
  private final Path key;
  private volatile Loaded current;
  private volatile long checkedAt;

  /**
   * Reads the pair now.
   *
   * @throws IOException if either file is missing or they are not a certificate chain and its key
   */
  public ReloadingKeyManager(Path cert, Path key) throws IOException {
    this.cert = cert;
    this.key = key;
    this.current = load();
    this.checkedAt = System.nanoTime();
  }

  private Loaded load() throws IOException {
    FileTime certTime = Files.getLastModifiedTime(cert);
    FileTime keyTime = Files.getLastModifiedTime(key);
    List<X509Certificate> chain = NodeCertificates.readCerts(cert);
    PrivateKey privateKey = NodeCertificates.readKey(key);
    try {
      return new Loaded(NodeCertificates.keyManager(privateKey, chain), certTime, keyTime);
    } catch (GeneralSecurityException e) {
      throw new IOException(cert + " and " + key + " are not a certificate and its key: " + e, e);
    }
  }

  private X509KeyManager keys() {
    long now = System.nanoTime();
    if (now - checkedAt >= CHECK_NANOS) {
      checkedAt = now;
      Loaded was = current;
      try {
        if (!Files.getLastModifiedTime(cert).equals(was.certTime())
            || !Files.getLastModifiedTime(key).equals(was.keyTime())) {
          current = load();
          LOG.info("S3 endpoint certificate reloaded from {}", cert);
        }
      } catch (IOException | RuntimeException e) {
        LOG.warn(
            "S3 endpoint certificate not reloaded (keeping the previous one): {}", e.toString());
      }
    }
    return current.keys();
  }

  @Override
  public String @Nullable [] getClientAliases(String keyType, Principal @Nullable [] issuers) {
    return keys().getClientAliases(keyType, issuers);
  }

  @Override
  public @Nullable String chooseClientAlias(
      String[] keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return keys().chooseClientAlias(keyType, issuers, socket);
  }

  @Override
  public String @Nullable [] getServerAliases(String keyType, Principal @Nullable [] issuers) {
    return keys().getServerAliases(keyType, issuers);
  }

  @Override
  public @Nullable String chooseServerAlias(
      String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return keys().chooseServerAlias(keyType, issuers, socket);
  }

  @Override
  public @Nullable String chooseEngineServerAlias(
      String keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    X509KeyManager k = keys();
    return k instanceof X509ExtendedKeyManager x
        ? x.chooseEngineServerAlias(keyType, issuers, engine)
        : k.chooseServerAlias(keyType, issuers, null);
  }

  @Override
  public X509Certificate @Nullable [] getCertificateChain(String alias) {
    return current.keys().getCertificateChain(alias);
  }

  @Override
  public @Nullable PrivateKey getPrivateKey(String alias) {
    return current.keys().getPrivateKey(alias);
  }
}
