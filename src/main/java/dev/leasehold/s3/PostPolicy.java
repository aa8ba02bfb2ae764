package dev.leasehold.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The policy document of a browser upload (Amazon S3 API reference, "Creating a POST Policy"): its
 * expiration, and the conditions every form field must meet, exact ({@code {"field": "value"}} or
 * {@code ["eq", "$field", "value"]}), by prefix ({@code ["starts-with", "$field", "prefix"]}), and
 * the file's size ({@code ["content-length-range", min, max]}). A field no condition names is
 * refused, as S3 refuses it, save the signature's own and {@code x-ignore-*}. Immutable.
 */
final class PostPolicy {
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Condition(String kind, String field, String value) {}

  private final Instant expiration;
  private final List<Condition> conditions;
  private final long minLength;
  private final long maxLength;

  private PostPolicy(Instant expiration, List<Condition> conditions, long min, long max) {
    this.expiration = expiration;
    this.conditions = conditions;
    this.minLength = min;
    this.maxLength = max;
  }

  /** The policy in a form's base64 {@code policy} field. */
  static PostPolicy parse(String base64) {
    JsonNode root;
    try {
      root =
          JSON.readTree(Base64.getMimeDecoder().decode(base64.getBytes(StandardCharsets.US_ASCII)));
    } catch (IllegalArgumentException | java.io.IOException e) {
      throw invalid("Invalid Policy: Invalid JSON.");
    }
    if (root == null || !root.isObject() || !root.path("expiration").isTextual()) {
      throw invalid("Invalid Policy: Policy missing expiration.");
    }
    Instant expiration;
    try {
      expiration = Instant.parse(root.get("expiration").asText());
    } catch (DateTimeParseException e) {
      throw invalid("Invalid Policy: Invalid 'expiration' value: " + root.get("expiration"));
    }
    JsonNode list = root.get("conditions");
    if (list == null || !list.isArray()) {
      throw invalid("Invalid Policy: Policy missing conditions.");
    }
    List<Condition> conditions = new ArrayList<>();
    long min = 0;
    long max = Long.MAX_VALUE;
    for (JsonNode c : list) {
      if (c.isObject() && c.size() == 1) {
        var e = c.properties().iterator().next();
        conditions.add(
            new Condition("eq", e.getKey().toLowerCase(Locale.ROOT), e.getValue().asText()));
      } else if (c.isArray() && c.size() == 3) {
        String kind = c.get(0).asText().toLowerCase(Locale.ROOT);
        if (kind.equals("content-length-range")) {
          if (!c.get(1).canConvertToLong() || !c.get(2).canConvertToLong()) {
            throw invalid("Invalid Policy: Invalid content-length-range condition.");
          }
          min = c.get(1).asLong();
          max = c.get(2).asLong();
        } else if (kind.equals("eq") || kind.equals("starts-with")) {
          String field = c.get(1).asText();
          if (!field.startsWith("$")) {
            throw invalid("Invalid Policy: Invalid Condition: " + c);
          }
          conditions.add(
              new Condition(kind, field.substring(1).toLowerCase(Locale.ROOT), c.get(2).asText()));
        } else {
          throw invalid("Invalid Policy: Invalid Condition: " + c);
        }
      } else {
        throw invalid("Invalid Policy: Invalid Condition: " + c);
      }
    }
    return new PostPolicy(expiration, List.copyOf(conditions), min, max);
  }

  /**
   * Checks the form's fields (names lower-cased) against the policy at {@code now}; 403 {@code
   * AccessDenied} for an expired policy, a field no condition names, or a condition not met.
   */
  void check(Map<String, String> fields, String bucket, Instant now) {
    if (!now.isBefore(expiration)) {
      throw denied("Invalid according to Policy: Policy expired.");
    }
    for (String field : fields.keySet()) {
      if (field.equals("policy")
          || field.equals("x-amz-signature")
          || field.equals("file")
          || field.startsWith("x-ignore-")) {
        continue;
      }
      boolean named = false;
      for (Condition c : conditions) {
        named |= c.field().equals(field);
      }
      if (!named) {
        throw denied("Invalid according to Policy: Extra input fields: " + field);
      }
    }
    for (Condition c : conditions) {
      String value = c.field().equals("bucket") ? bucket : fields.get(c.field());
      boolean met =
          value != null
              && (c.kind().equals("eq") ? value.equals(c.value()) : value.startsWith(c.value()));
      if (!met) {
        throw denied(
            "Invalid according to Policy: Policy Condition failed: [\""
                + c.kind()
                + "\", \"$"
                + c.field()
                + "\", \""
                + c.value()
                + "\"]");
      }
    }
  }

  long minLength() {
    return minLength;
  }

  long maxLength() {
    return maxLength;
  }

  private static S3Exception invalid(String why) {
    return S3Error.INVALID_POLICY_DOCUMENT.exception(why);
  }

  private static S3Exception denied(String why) {
    return S3Error.ACCESS_DENIED.exception(why);
  }
}
