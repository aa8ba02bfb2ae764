package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The standard check values ("123456789") of each algorithm. */
class ChecksumAlgorithmTest {
  static String check(ChecksumAlgorithm algorithm) {
    ChecksumAlgorithm.Digest d = algorithm.start();
    byte[] data = "123456789".getBytes(StandardCharsets.US_ASCII);
    d.update(data, 0, 4);
    d.update(data, 4, 5);
    return HexFormat.of().formatHex(d.finish());
  }

  @Test
  void checkValues() {
    assertThat(check(ChecksumAlgorithm.CRC32)).isEqualTo("cbf43926");
    assertThat(check(ChecksumAlgorithm.CRC32C)).isEqualTo("e3069283");
    assertThat(check(ChecksumAlgorithm.CRC64NVME)).isEqualTo("ae8b14860a799888");
    assertThat(check(ChecksumAlgorithm.SHA1)).isEqualTo("f7c3bc1d808e04732adf679965ccc34ca7ae3441");
    assertThat(check(ChecksumAlgorithm.SHA256))
        .isEqualTo("15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225");
  }

  @Test
  void headersAndLabels() {
    assertThat(ChecksumAlgorithm.ofHeader("X-Amz-Checksum-CRC32C"))
        .isEqualTo(ChecksumAlgorithm.CRC32C);
    assertThat(ChecksumAlgorithm.ofLabel("crc64nvme")).isEqualTo(ChecksumAlgorithm.CRC64NVME);
    assertThat(ChecksumAlgorithm.ofHeader("x-amz-checksum-md5")).isNull();
  }
}
