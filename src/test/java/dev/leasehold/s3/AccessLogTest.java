package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The access log keeps no working presigned URL: its signature and credential are redacted. */
class AccessLogTest {
  private static String logged(String uri) {
    StringBuilder b = new StringBuilder();
    AccessLog.uri(b, uri);
    return b.toString();
  }

  @Test
  void aPresignedUrlIsLoggedWithoutItsSignatureAndCredential() {
    String uri =
        "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=AKIDEXAMPLE%2F20261204%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Date=20261204T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host"
            + "&X-Amz-Signature=0123456789abcdef";
    assertThat(logged(uri))
        .isEqualTo(
            "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED"
                + "&X-Amz-Date=20261204T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=REDACTED")
        .doesNotContain("AKIDEXAMPLE")
        .doesNotContain("0123456789abcdef");
  }

  @Test
  void otherUrlsAreLoggedAsSent() {
    assertThat(logged("/b/k")).isEqualTo("/b/k");
    assertThat(logged("/b?list-type=2&prefix=a%2Fb")).isEqualTo("/b?list-type=2&prefix=a%2Fb");
    assertThat(logged("/b?uploads&X-Amz-Signature=s"))
        .as("wherever the parameter stands")
        .isEqualTo("/b?uploads&X-Amz-Signature=REDACTED");
  }
}
