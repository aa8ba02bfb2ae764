package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Percent-encoding as Signature V4 and S3 use it: every byte but the unreserved {@code A-Z a-z 0-9
 * - _ . ~} becomes {@code %XX} (upper-case hex), with {@code /} kept in paths. Decoding is strict:
 * a malformed escape or bytes that are not UTF-8 are an {@code InvalidURI}.
 *
 * <p>Stateless; thread-safe.
 */
final class UriEncoding {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private UriEncoding() {}

  /** Encodes a query name or value: slashes too. */
  static String encode(String s) {
    return encode(s, false);
  }

  /** Encodes a path, or a key for {@code encoding-type=url}, keeping its slashes. */
  static String encodePath(String s) {
    return encode(s, true);
  }

  private static String encode(String s, boolean keepSlash) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = null;
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      boolean plain = unreserved(b) || (keepSlash && b == '/');
      if (out == null) {
        if (plain && b < 0x80) {
          continue;
        }
        out = new StringBuilder(bytes.length * 3);
        out.append(s, 0, i); // the bytes before i were all ASCII, so chars == bytes
      }
      if (plain) {
        out.append((char) b);
      } else {
        out.append('%').append(HEX[b >> 4]).append(HEX[b & 0xf]);
      }
    }
    return out == null ? s : out.toString();
  }

  private static boolean unreserved(int b) {
    return (b >= 'A' && b <= 'Z')
        || (b >= 'a' && b <= 'z')
        || (b >= '0' && b <= '9')
        || b == '-'
        || b == '_'
        || b == '.'
        || b == '~';
  }

  /** Decodes a path ({@code +} is itself). */
  static String decodePath(String s) {
    return decode(s, false);
  }

  /** Decodes a query name or value ({@code +} is a space, as in forms). */
  static String decodeQuery(String s) {
    return decode(s, true);
  }

  private static String decode(String s, boolean plusIsSpace) {
    if (s.indexOf('%') < 0 && (!plusIsSpace || s.indexOf('+') < 0) && isAscii(s)) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw invalid();
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw invalid();
        }
        out.write((hi << 4) | lo);
        i += 2;
      } else if (c == '+' && plusIsSpace) {
        out.write(' ');
      } else if (c <= 0xff) {
        out.write(c); // Netty reads the request line byte for byte, as ISO-8859-1
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw invalid();
    }
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  private static dev.leasehold.error.S3Exception invalid() {
    return S3Error.INVALID_URI.exception();
  }
}
