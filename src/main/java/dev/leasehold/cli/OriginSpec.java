package dev.leasehold.cli;

import dev.leasehold.origin.DirectoryOrigin;
import dev.leasehold.origin.Origin;
import dev.leasehold.origin.S3Origin;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Opens the origin an {@code origin} setting names: {@code file:///path} (or {@code file:path}) for
 * a directory; {@code s3://?endpoint=URL&region=R&path-style=true} (or {@code s3://host:port?...},
 * meaning {@code http://host:port}) for an S3-compatible store, signed with {@code
 * LEASEHOLD_ORIGIN_ACCESS_KEY} and {@code LEASEHOLD_ORIGIN_SECRET_KEY}.
 */
final class OriginSpec {
  static final String ACCESS_KEY_ENV = "LEASEHOLD_ORIGIN_ACCESS_KEY";
  static final String SECRET_KEY_ENV = "LEASEHOLD_ORIGIN_SECRET_KEY";

  /** The schemes an {@code origin} setting may start with, one per kind of origin. */
  static final List<String> SCHEMES = List.of("file:", "s3:");

  private OriginSpec() {}

  /**
   * Whether {@code uri} names a kind of origin this build opens (its details are checked later).
   */
  static boolean known(String uri) {
    return SCHEMES.stream().anyMatch(uri::startsWith);
  }

  static Origin open(String uri, Map<String, String> env) {
    if (uri.startsWith("file://")) {
      return new DirectoryOrigin(Path.of(URI.create(uri)));
    }
    if (uri.startsWith("file:")) {
      return new DirectoryOrigin(Path.of(uri.substring("file:".length())));
    }
    if (uri.startsWith("s3://")) {
      return new S3Origin(s3Settings(uri, env));
    }
    throw new ConfigException(Setting.ORIGIN.key(), "'" + uri + "' must start with file: or s3://");
  }

  static S3Origin.Settings s3Settings(String uri, Map<String, String> env) {
    String rest = uri.substring("s3://".length());
    int q = rest.indexOf('?');
    String authority = q < 0 ? rest : rest.substring(0, q);
    Map<String, String> params = new HashMap<>();
    if (q >= 0) {
      for (String pair : rest.substring(q + 1).split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        String value =
            eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        params.put(name, value);
      }
    }
    String endpoint = params.get("endpoint");
    if (endpoint == null || endpoint.isEmpty()) {
      if (authority.isEmpty()) {
        throw new ConfigException(
            Setting.ORIGIN.key(),
            "an s3:// origin needs ?endpoint=http://host:port or s3://host:port");
      }
      endpoint = "http://" + authority;
    }
    URI endpointUri;
    try {
      endpointUri = URI.create(endpoint);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(Setting.ORIGIN.key(), "endpoint '" + endpoint + "' is not a URL");
    }
    if (endpointUri.getScheme() == null || endpointUri.getHost() == null) {
      throw new ConfigException(Setting.ORIGIN.key(), "endpoint '" + endpoint + "' is not a URL");
    }
    String access = env.get(ACCESS_KEY_ENV);
    String secret = env.get(SECRET_KEY_ENV);
    if (access == null || access.isEmpty() || secret == null || secret.isEmpty()) {
      throw new ConfigException(
          Setting.ORIGIN.key(),
          "an s3:// origin needs its keys in " + ACCESS_KEY_ENV + " and " + SECRET_KEY_ENV);
    }
    String region = params.getOrDefault("region", "us-east-1");
    boolean pathStyle = !"false".equalsIgnoreCase(params.getOrDefault("path-style", "true"));
    return new S3Origin.Settings(endpointUri, region, pathStyle, access, secret);
  }
}
