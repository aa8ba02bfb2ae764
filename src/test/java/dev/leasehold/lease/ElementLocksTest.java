package dev.leasehold.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ElementLocksTest {
  @Test
  void oneHolderPerKeyAndEntriesGoWhenUnused() throws Exception {
    ElementLocks<String> locks = new ElementLocks<>();
    assertThat(locks.lock("a", Duration.ZERO)).isTrue();
    assertThat(locks.lock("b", Duration.ZERO)).isTrue(); // other keys are independent
    assertThat(locks.lock("a", Duration.ofMillis(50))).isFalse(); // timed out, left no trace
    CompletableFuture<Boolean> waiter =
        CompletableFuture.supplyAsync(() -> locks.lock("a", Duration.ofSeconds(10)));
    Thread.sleep(100);
    assertThat(waiter).isNotDone();
    locks.unlock("a"); // may be given back by another thread than the taker
    assertThat(waiter.get(10, TimeUnit.SECONDS)).isTrue();
    locks.unlock("a");
    locks.unlock("b");
    assertThat(locks.size()).isZero();
    assertThatThrownBy(() -> locks.unlock("a")).isInstanceOf(IllegalStateException.class);
  }
}
