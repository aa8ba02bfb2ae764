package dev.leasehold.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsing of setting values: sizes ({@code 10GiB}, {@code 512MB}, {@code 4096}), durations ({@code
 * 500ms}, {@code 30s}, {@code 15m}, {@code 2h}), ports. Stateless; thread-safe.
 */
final class Values {
  private static final Pattern SIZE =
      Pattern.compile(
          "(\\d+)\\s*(B|KB|KIB|K|MB|MIB|M|GB|GIB|G|TB|TIB|T)?", Pattern.CASE_INSENSITIVE);
  private static final Pattern DURATION =
      Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);

  private Values() {}

  static long size(String key, String value) {
    Matcher m = SIZE.matcher(value.trim());
    if (!m.matches()) {
      throw new ConfigException(
          key, "'" + value + "' is not a size (examples: 10GiB, 512MiB, 4096)");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
    long factor =
        switch (unit) {
          case "B" -> 1L;
          case "KB" -> 1000L;
          case "K", "KIB" -> 1L << 10;
          case "MB" -> 1000_000L;
          case "M", "MIB" -> 1L << 20;
          case "GB" -> 1000_000_000L;
          case "G", "GIB" -> 1L << 30;
          case "TB" -> 1000_000_000_000L;
          case "T", "TIB" -> 1L << 40;
          default -> throw new ConfigException(key, "unknown unit " + unit);
        };
    try {
      return Math.multiplyExact(n, factor);
    } catch (ArithmeticException e) {
      throw new ConfigException(key, "'" + value + "' is too large");
    }
  }

  static Duration duration(String key, String value) {
    Matcher m = DURATION.matcher(value.trim());
    if (!m.matches()) {
      throw new ConfigException(
          key, "'" + value + "' is not a duration (examples: 500ms, 30s, 15m, 2h)");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  /** A fraction in [0, 0.5), such as a clock drift bound. */
  static double fraction(String key, String value) {
    try {
      double d = Double.parseDouble(value.trim());
      if (d >= 0 && d < 0.5) {
        return d;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException(key, "'" + value + "' is not a fraction in [0, 0.5), such as 0.01");
  }

  static double price(String key, String value) {
    try {
      double d = Double.parseDouble(value.trim());
      if (d >= 0 && Double.isFinite(d)) {
        return d;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException(key, "'" + value + "' is not a price, such as 0.09");
  }

  static int port(String key, String value) {
    try {
      int port = Integer.parseInt(value.trim());
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException(key, "'" + value + "' is not a port (0-65535)");
  }

  /** A whole number from {@code min} to {@code max}. */
  static int count(String key, String value, int min, int max) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException(key, "'" + value + "' is not a number from " + min + " to " + max);
  }

  /** A size for people: {@code 10 GiB}, {@code 4 MiB}. */
  static String formatSize(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1 && v % 1024 == 0) {
      v /= 1024;
      u++;
    }
    return (long) v + " " + units[u];
  }
}
