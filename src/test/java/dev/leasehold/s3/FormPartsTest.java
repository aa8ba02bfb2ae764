package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * multipart/form-data as RFC 7578 (and RFC 2046, section 5.1.1) frames it, read whatever the
 * network's pieces: a delimiter split across reads, a file that looks like a boundary but is not
 * one, an empty file, a preamble, and a body that ends inside a part.
 */
class FormPartsTest {
  static final String BOUNDARY = "----b0undary";

  static byte[] form(String... parts) {
    StringBuilder b = new StringBuilder("preamble to ignore\r\n");
    for (int i = 0; i < parts.length; i += 2) {
      b.append("--").append(BOUNDARY).append("\r\n");
      b.append(parts[i]).append("\r\n\r\n").append(parts[i + 1]).append("\r\n");
    }
    return b.append("--")
        .append(BOUNDARY)
        .append("--\r\n")
        .toString()
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  /** A stream that gives at most {@code n} bytes per read, as a slow network does. */
  static InputStream trickle(byte[] bytes, int n) {
    return new FilterInputStream(new ByteArrayInputStream(bytes)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, n));
      }
    };
  }

  @Test
  void fieldsThenAFileWhateverThePieces() throws IOException {
    String file = "line one\r\n--" + BOUNDARY.substring(0, 6) + " not the boundary\r\n-\r\n";
    byte[] body =
        form(
            "Content-Disposition: form-data; name=\"key\"",
            "uploads/${filename}",
            "Content-Disposition: form-data; name=\"empty\"",
            "",
            "Content-Disposition: form-data; name=\"file\"; filename=\"n\u00c3\u00a9.txt\"\r\n"
                + "Content-Type: text/plain",
            file);
    for (int piece : new int[] {1, 2, 3, 7, 64, 100_000}) {
      FormParts form = new FormParts(trickle(body, piece), BOUNDARY);
      FormParts.Part key = form.next();
      assertThat(key.name()).isEqualTo("key");
      assertThat(new String(form.value(1000, S3Error.MAX_POST_PRE_DATA_LENGTH_EXCEEDED)))
          .isEqualTo("uploads/${filename}");
      assertThat(form.next().name()).isEqualTo("empty");
      assertThat(form.value(1000, S3Error.MAX_POST_PRE_DATA_LENGTH_EXCEEDED)).isEmpty();
      FormParts.Part f = form.next();
      assertThat(f.filename()).as("UTF-8 as browsers send it").isEqualTo("n\u00e9.txt");
      assertThat(f.contentType()).isEqualTo("text/plain");
      assertThat(new String(form.content().readAllBytes(), StandardCharsets.ISO_8859_1))
          .as("in pieces of %d", piece)
          .isEqualTo(file);
      assertThat(form.next()).isNull();
    }
  }

  @Test
  void randomFilesComeBackWhole() throws IOException {
    Random random = new Random(42);
    for (int round = 0; round < 50; round++) {
      byte[] content = new byte[random.nextInt(300_000)];
      random.nextBytes(content);
      byte[] body =
          form(
              "Content-Disposition: form-data; name=\"file\"; filename=\"x\"",
              new String(content, StandardCharsets.ISO_8859_1));
      FormParts form = new FormParts(trickle(body, 1 + random.nextInt(70_000)), BOUNDARY);
      form.next();
      assertThat(form.content().readAllBytes()).isEqualTo(content);
    }
  }

  @Test
  void aBodyThatEndsInsideAPartOrAFieldTooLargeIsRefused() throws IOException {
    byte[] whole = form("Content-Disposition: form-data; name=\"file\"", "content");
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 20);
    FormParts form = new FormParts(new ByteArrayInputStream(cut), BOUNDARY);
    form.next();
    assertThatThrownBy(() -> form.content().readAllBytes())
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> assertThat(((S3Exception) e).error()).isEqualTo(S3Error.INCOMPLETE_BODY));

    FormParts big =
        new FormParts(
            new ByteArrayInputStream(
                form("Content-Disposition: form-data; name=\"f\"", "x".repeat(100))),
            BOUNDARY);
    big.next();
    assertThatThrownBy(() -> big.value(10, S3Error.MAX_POST_PRE_DATA_LENGTH_EXCEEDED))
        .isInstanceOf(S3Exception.class);
  }
}
