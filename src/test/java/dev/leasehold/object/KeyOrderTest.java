package dev.leasehold.object;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Data;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** S3's key order is UTF-8 byte order, checked over many random pairs. */
class KeyOrderTest {
  @Test
  void ordersLikeUtf8Bytes() {
    Random random = new Random(1);
    for (int i = 0; i < 20_000; i++) {
      String a = Data.randomString(random);
      String b = random.nextInt(4) == 0 ? a + Data.randomString(random) : Data.randomString(random);
      int expected =
          Integer.signum(
              Arrays.compareUnsigned(
                  a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
      assertThat(Integer.signum(KeyOrder.compare(a, b))).as("%s vs %s", a, b).isEqualTo(expected);
    }
  }

  @Test
  void differsFromJavaStringOrderAboveTheSurrogates() {
    String privateUse = "\uE000";
    String emoji = "\uD83D\uDE00";
    assertThat(privateUse.compareTo(emoji)).isPositive();
    assertThat(KeyOrder.compare(privateUse, emoji)).isNegative();
  }

  @Test
  void pastPrefixSortsAfterEveryKeyUnderThePrefixAndBeforeTheRest() {
    Random random = new Random(2);
    for (int i = 0; i < 2_000; i++) {
      String prefix = Data.randomString(random) + "/";
      String past = KeyOrder.pastPrefix(prefix);
      String under = prefix + Data.randomString(random);
      assertThat(KeyOrder.compare(under, past)).isNegative();
      String after = prefix.substring(0, prefix.length() - 1) + "0"; // '0' follows '/'
      assertThat(KeyOrder.compare(after, past)).isPositive();
    }
    String longest = "p/" + "\uDBFF\uDFFF".repeat(255); // 1,022 bytes under "p/"
    assertThat(KeyOrder.compare(longest, KeyOrder.pastPrefix("p/"))).isNegative();
  }
}
