/**
 * The namespace's certificates (docs/security.md): a namespace certificate authority issues one
 * certificate per site and coordinator peer (a node: its name is its identity) and per person or
 * tool (a client, an operator if so created); every internal link is mutual TLS that accepts only
 * certificates of that authority, and the caller's name and role come from its certificate ({@link
 * dev.leasehold.tls.Caller}). {@link dev.leasehold.tls.CertificateAuthority} writes the files,
 * {@link dev.leasehold.tls.NodeCertificates} reads one identity's for the links. A leaf package: it
 * uses no other part of Leasehold.
 */
@NullMarked
package dev.leasehold.tls;

import org.jspecify.annotations.NullMarked;
