package dev.leasehold.tls;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Who is calling over mutual TLS, read from the certificate it presented (which the TLS handshake
 * has already checked against the namespace's authority): its name (the subject's common name) and
 * its {@link Role}. Immutable.
 */
public record Caller(String name, Role role) {

  /** The caller of a TLS session, if it presented a certificate of the namespace's form. */
  public static Optional<Caller> of(SSLSession session) {
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x ? of(x) : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  /** The caller a certificate names: CN is the name, OU the role. */
  public static Optional<Caller> of(X509Certificate certificate) {
    String name = null;
    Role role = null;
    try {
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          name = String.valueOf(rdn.getValue());
        } else if (rdn.getType().equalsIgnoreCase("OU")) {
          role = Role.ofUnit(String.valueOf(rdn.getValue())).orElse(null);
        }
      }
    } catch (InvalidNameException e) {
      return Optional.empty();
    }
    return name == null || name.isEmpty() || role == null
        ? Optional.empty()
        : Optional.of(new Caller(name, role));
  }

  public boolean isOperator() {
    return role == Role.OPERATOR;
  }

  @Override
  public String toString() {
    return role.unit() + " " + name;
  }
}
