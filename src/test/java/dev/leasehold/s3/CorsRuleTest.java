package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.error.S3Exception;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * CORS rules as the Amazon S3 User Guide describes them ("Elements of a CORS configuration"): an
 * origin or header with one wildcard, methods from a fixed set, headers compared without case, and
 * a document that reads back as it was written.
 */
class CorsRuleTest {
  final CorsRule rule =
      CorsRule.of(
          "r",
          List.of("https://*.example.com", "http://localhost:3000"),
          List.of("GET", "PUT"),
          List.of("Content-Type", "x-amz-*"),
          List.of("ETag"),
          300);

  @Test
  void originsMethodsAndHeadersMatchAsTheGuideSays() {
    assertThat(rule.allows("https://app.example.com", "GET", List.of())).isTrue();
    assertThat(rule.allows("https://example.com", "GET", List.of()))
        .as("the wildcard stands between the scheme and the domain")
        .isFalse();
    assertThat(rule.allows("http://localhost:3000", "PUT", List.of("content-type", "X-Amz-Date")))
        .isTrue();
    assertThat(rule.allows("http://localhost:3000", "PUT", List.of("authorization"))).isFalse();
    assertThat(rule.allows("http://localhost:3000", "DELETE", List.of())).isFalse();
    assertThat(rule.allows("HTTP://LOCALHOST:3000", "GET", List.of()))
        .as("origins are compared as sent")
        .isFalse();
    assertThat(rule.anyOrigin()).isFalse();
  }

  @Test
  void badRulesAreRefused() {
    assertThatThrownBy(
            () -> CorsRule.of(null, List.of("*"), List.of("PATCH"), List.of(), List.of(), null))
        .isInstanceOf(S3Exception.class)
        .hasMessageContaining("PATCH");
    assertThatThrownBy(() ->
            CorsRule.of(null, List.of("http://*.*"), List.of("GET"), List.of(), List.of(), null))
        .isInstanceOf(S3Exception.class);
    assertThatThrownBy(
            () -> CorsRule.of(null, List.of(), List.of("GET"), List.of(), List.of(), null))
        .isInstanceOf(S3Exception.class);
  }

  @Test
  void aDocumentReadsBackAsWritten() {
    byte[] document = CorsRule.document(List.of(rule)).bytes();
    assertThat(XmlRequests.corsConfiguration(document)).containsExactly(rule);
    assertThat(new String(document, StandardCharsets.UTF_8))
        .contains("<AllowedOrigin>https://*.example.com</AllowedOrigin>")
        .contains("<MaxAgeSeconds>300</MaxAgeSeconds>");
  }
}
