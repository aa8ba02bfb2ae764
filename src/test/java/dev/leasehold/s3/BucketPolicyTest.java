package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.s3.BucketPolicy.Decision;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Policy evaluation as the IAM User Guide states it ("Policy evaluation logic", "IAM JSON policy
 * elements: Condition operators"): an explicit Deny overrides any Allow; wildcards in actions
 * (without case) and resources; negated operators hold when the key is absent; IfExists.
 */
class BucketPolicyTest {
  static final String B = "arn:aws:s3:::b";

  static BucketPolicy policy(String json) {
    return BucketPolicy.parse(json.getBytes(StandardCharsets.UTF_8), "b");
  }

  static BucketPolicy.Request request(String who, String action, String resource, String... kv) {
    Map<String, String> keys = new java.util.HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      keys.put(kv[i], kv[i + 1]);
    }
    return new BucketPolicy.Request(who, action, resource, keys);
  }

  @Test
  void denyOverridesAllowAndWildcardsMatch() {
    BucketPolicy p =
        policy(
            """
            {"Statement": [
              {"Effect": "Allow", "Principal": {"AWS": ["AKREADER", "arn:aws:iam::1:user/AKOTHER"]},
               "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"},
              {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
               "Resource": "arn:aws:s3:::b/secret/??.txt"}]}
            """);
    assertThat(p.evaluate(request("AKREADER", "s3:getobject", B + "/a/b")))
        .isEqualTo(Decision.ALLOW);
    assertThat(p.evaluate(request("AKOTHER", "s3:GetObjectAcl", B + "/x")))
        .isEqualTo(Decision.ALLOW);
    assertThat(p.evaluate(request("AKREADER", "s3:GetObject", B + "/secret/ab.txt")))
        .isEqualTo(Decision.DENY);
    assertThat(p.evaluate(request("AKREADER", "s3:GetObject", B + "/secret/abc.txt")))
        .isEqualTo(Decision.ALLOW);
    assertThat(p.evaluate(request(null, "s3:GetObject", B + "/a"))).isEqualTo(Decision.NONE);
    assertThat(p.evaluate(request("AKREADER", "s3:PutObject", B + "/a"))).isEqualTo(Decision.NONE);
    assertThat(p.evaluate(request("AKREADER", "s3:ListBucket", B))).isEqualTo(Decision.NONE);
  }

  @Test
  void conditionsOnAbsentKeysAndAddresses() {
    BucketPolicy p =
        policy(
            """
            {"Statement": [
              {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
               "Condition": {"StringLike": {"s3:prefix": "home/*"},
                             "NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}}},
              {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
               "Condition": {"StringEqualsIfExists": {"aws:username": "AKME"}}}]}
            """);
    assertThat(
            p.evaluate(
                request(
                    null, "s3:ListBucket", B, "s3:prefix", "home/x", "aws:sourceip", "10.1.1.1")))
        .isEqualTo(Decision.ALLOW);
    assertThat(
            p.evaluate(
                request(
                    null, "s3:ListBucket", B, "s3:prefix", "home/x", "aws:sourceip", "192.0.2.9")))
        .isEqualTo(Decision.NONE);
    assertThat(p.evaluate(request(null, "s3:ListBucket", B, "aws:sourceip", "10.1.1.1")))
        .as("no prefix: StringLike does not hold")
        .isEqualTo(Decision.NONE);
    assertThat(p.evaluate(request(null, "s3:GetObject", B + "/k"))).isEqualTo(Decision.ALLOW);
    assertThat(p.evaluate(request("AKYOU", "s3:GetObject", B + "/k", "aws:username", "AKYOU")))
        .isEqualTo(Decision.NONE);
    assertThat(p.isPublic())
        .as("a prefix, an excluded range or IfExists narrows nobody's access")
        .isTrue();
  }

  @Test
  void patternsThatCoverTheBucketAndRequestHeaderKeys() {
    BucketPolicy p =
        policy(
            """
            {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
              "Resource": ["arn:aws:s3:::*", "arn:aws:s3:::*/*"],
              "Condition": {"StringLikeIfExists": {"aws:Referer": "http://www.example.com/*"},
                            "StringNotEquals": {"s3:ExistingObjectTag/security": "secret"}}}}
            """);
    assertThat(p.evaluate(request(null, "s3:GetObject", B + "/k"))).isEqualTo(Decision.ALLOW);
    assertThat(
            p.evaluate(
                request(null, "s3:GetObject", B + "/k", "aws:referer", "http://www.example.com/a")))
        .isEqualTo(Decision.ALLOW);
    assertThat(p.evaluate(request(null, "s3:GetObject", B + "/k", "aws:referer", "http://evil/")))
        .isEqualTo(Decision.NONE);
    org.assertj.core.api.Assertions.assertThatThrownBy(() ->
            policy(
                """
                {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                  "Resource": "arn:aws:s3:::other*"}}
                """))
        .hasMessageContaining("does not apply");
  }

  /** A '*' in a key is a character like any other: it never escapes a Deny written with '*'. */
  @Test
  void aStarInTheKeyDoesNotEscapeADeny() {
    BucketPolicy p =
        policy(
            """
            {"Statement": [
              {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"},
              {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
               "Resource": "arn:aws:s3:::b/private/*"}]}
            """);
    for (String key : new String[] {"private/*x", "private/*", "private/a*b", "private/"}) {
      assertThat(p.evaluate(request(null, "s3:GetObject", B + "/" + key)))
          .as(key)
          .isEqualTo(Decision.DENY);
    }
    assertThat(p.evaluate(request(null, "s3:GetObject", B + "/public/*")))
        .isEqualTo(Decision.ALLOW);
  }

  /** Public as AWS counts it: only a fixed source address range narrows who may call. */
  @Test
  void onlyAnAddressRangeMakesAnOpenStatementNotPublic() {
    String open =
        """
        {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
          "Resource": "arn:aws:s3:::b/*", "Condition": %s}}
        """;
    assertThat(policy(open.formatted("{\"Bool\": {\"aws:SecureTransport\": \"true\"}}")).isPublic())
        .isTrue();
    assertThat(
            policy(open.formatted("{\"IpAddress\": {\"aws:SourceIp\": \"0.0.0.0/0\"}}")).isPublic())
        .isTrue();
    assertThat(
            policy(open.formatted("{\"IpAddress\": {\"aws:SourceIp\": \"10.0.0.0/8\"}}"))
                .isPublic())
        .isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> policy(open.formatted("{\"IpAddress\": {\"aws:SourceIp\": \"cafe.de\"}}")))
        .as("a name, which would be looked up, is no address")
        .hasMessageContaining("Invalid IP address");
  }
}
