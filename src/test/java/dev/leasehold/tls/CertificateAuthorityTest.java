package dev.leasehold.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The namespace's authority: the files it writes, and real TLS handshakes with them. */
class CertificateAuthorityTest {
  @TempDir Path dir;
  @TempDir Path other;

  @Test
  void writesPemFilesWithTheKeysReadableByTheirOwnerOnly() throws Exception {
    CertificateAuthority.createCa(dir);
    X509Certificate node =
        CertificateAuthority.createNode(dir, "site-a", List.of("127.0.0.1", "a.example"));
    for (String f : List.of("ca.key", "site-a.key")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f))))
          .isEqualTo("rw-------");
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
        .isEqualTo("rwx------");
    assertThat(Files.readString(dir.resolve("site-a.crt")))
        .startsWith("-----BEGIN CERTIFICATE-----");
    assertThat(Files.readString(dir.resolve("site-a.key")))
        .startsWith("-----BEGIN PRIVATE KEY-----");
    // RFC 5280 general names: 2 is dNSName, 7 is iPAddress.
    assertThat(node.getSubjectAlternativeNames())
        .containsExactlyInAnyOrder(List.of(7, "127.0.0.1"), List.of(2, "a.example"));
    assertThat(node.getExtendedKeyUsage())
        .containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(Caller.of(node)).contains(new Caller("site-a", Role.NODE));
  }

  @Test
  void clientsAreClientsOrOperators() throws Exception {
    CertificateAuthority.createCa(dir);
    X509Certificate alice = CertificateAuthority.createClient(dir, "alice", false);
    X509Certificate root = CertificateAuthority.createClient(dir, "root", true);
    assertThat(Caller.of(alice)).contains(new Caller("alice", Role.CLIENT));
    assertThat(Caller.of(root)).contains(new Caller("root", Role.OPERATOR));
    assertThat(alice.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(alice.getBasicConstraints()).isEqualTo(-1);
  }

  @Test
  void nothingIsOverwrittenAndNamesAreChecked() throws IOException {
    CertificateAuthority.createCa(dir);
    String ca = Files.readString(dir.resolve("ca.crt"));
    assertThatThrownBy(() -> CertificateAuthority.createCa(dir))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readString(dir.resolve("ca.crt"))).isEqualTo(ca);
    CertificateAuthority.createNode(dir, "c1", List.of());
    assertThatThrownBy(() -> CertificateAuthority.createNode(dir, "c1", List.of()))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThatThrownBy(() -> CertificateAuthority.createNode(dir, "../x", List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CertificateAuthority.createNode(dir, "ca", List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aNodeOfTheNamespaceIsAcceptedAndItsNameIsTheCallersName() throws Exception {
    CertificateAuthority.createCa(dir);
    CertificateAuthority.createNode(dir, "server", List.of("127.0.0.1"));
    CertificateAuthority.createNode(dir, "site-b", List.of());
    Optional<Caller> seen =
        handshake(NodeCertificates.load(dir, "server"), NodeCertificates.load(dir, "site-b"));
    assertThat(seen).contains(new Caller("site-b", Role.NODE));
  }

  @Test
  void aCertificateOfAnotherAuthorityIsRefused() throws Exception {
    CertificateAuthority.createCa(dir);
    CertificateAuthority.createNode(dir, "server", List.of("127.0.0.1"));
    CertificateAuthority.createCa(other);
    CertificateAuthority.createNode(other, "site-b", List.of());
    assertThatThrownBy(() ->
            handshake(NodeCertificates.load(dir, "server"), NodeCertificates.load(other, "site-b")))
        .isInstanceOf(SSLException.class);
  }

  @Test
  void aKeyOfAnotherAuthorityDoesNotLoadBesideThisCa() throws IOException {
    CertificateAuthority.createCa(dir);
    CertificateAuthority.createCa(other);
    CertificateAuthority.createNode(other, "site-b", List.of());
    Files.copy(other.resolve("site-b.crt"), dir.resolve("site-b.crt"));
    Files.copy(other.resolve("site-b.key"), dir.resolve("site-b.key"));
    assertThatThrownBy(() -> NodeCertificates.load(dir, "site-b"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("was not issued by the authority");
  }

  /**
   * A TLS 1.3 handshake over a real socket on 127.0.0.1: the server requires a client certificate;
   * answers who the server saw.
   */
  private static Optional<Caller> handshake(NodeCertificates server, NodeCertificates client)
      throws Exception {
    try (SSLServerSocket listening =
        (SSLServerSocket)
            server
                .sslContext()
                .getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      listening.setNeedClientAuth(true);
      CompletableFuture<Optional<Caller>> seen =
          CompletableFuture.supplyAsync(() -> {
            try (SSLSocket s = (SSLSocket) listening.accept()) {
              s.setSoTimeout(10_000);
              InputStream in = s.getInputStream();
              int b = in.read();
              s.getOutputStream().write(b);
              return Caller.of(s.getSession());
            } catch (IOException e) {
              return Optional.empty();
            }
          });
      try (SSLSocket s =
          (SSLSocket)
              client
                  .sslContext()
                  .getSocketFactory()
                  .createSocket(InetAddress.getLoopbackAddress(), listening.getLocalPort())) {
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(42);
        out.flush();
        int echoed = s.getInputStream().read();
        if (echoed != 42) {
          throw new SSLHandshakeException("the server closed the connection");
        }
      }
      return seen.get(10, TimeUnit.SECONDS);
    }
  }
}
