package dev.leasehold.testkit;

/** The origins a test can run against: a local directory, or S3Proxy as a real S3 server. */
public enum OriginKind {
  DIRECTORY,
  S3PROXY
}
