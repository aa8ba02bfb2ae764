package dev.leasehold.s3;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Writes the XML bodies of S3 responses: elements in order, text escaped. Characters XML 1.0 cannot
 * carry (control characters in keys) are written as numeric references, as S3 does.
 *
 * <p>Single use; confined to one thread.
 */
final class Xml {
  static final String S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

  private final StringBuilder out = new StringBuilder(256);

  Xml() {
    out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  }

  /** Opens the root element of a successful response, in S3's namespace. */
  static Xml document(String root) {
    Xml xml = new Xml();
    xml.out.append('<').append(root).append(" xmlns=\"").append(S3_NAMESPACE).append("\">");
    return xml;
  }

  Xml open(String name) {
    out.append('<').append(name).append('>');
    return this;
  }

  /** Opens an element with attributes, given as they are written ({@code a="1" b="2"}). */
  Xml openWith(String name, String attributes) {
    out.append('<').append(name).append(' ').append(attributes).append('>');
    return this;
  }

  Xml close(String name) {
    out.append("</").append(name).append('>');
    return this;
  }

  Xml element(String name, String text) {
    out.append('<').append(name).append('>');
    escape(text);
    out.append("</").append(name).append('>');
    return this;
  }

  /** Escaped text inside the element opened last. */
  Xml text(String text) {
    escape(text);
    return this;
  }

  Xml element(String name, long value) {
    return element(name, Long.toString(value));
  }

  Xml element(String name, boolean value) {
    return element(name, Boolean.toString(value));
  }

  Xml element(String name, Instant time) {
    return element(name, HttpDates.xml(time));
  }

  /** An element only if {@code text} is not null. */
  Xml optional(String name, @org.jspecify.annotations.Nullable String text) {
    return text == null ? this : element(name, text);
  }

  byte[] bytes() {
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return out.toString();
  }

  private void escape(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        default -> {
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            out.append("&#x").append(Integer.toHexString(c)).append(';');
          } else {
            out.append(c);
          }
        }
      }
    }
  }
}
