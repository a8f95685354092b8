package dev.errand.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.function.IntFunction;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

class JitCpuTest {
  @Test
  void code_run_hot_for_the_first_time_shows_as_compiler_cpu_and_no_reading_is_negative() {
    JitCpu jit = new JitCpu();
    assumeTrue(jit.available(), "no /proc/self/task here: JitCpu reads 0 off Linux");
    double before = jit.sinceLast();
    assertThat(before).isNotNegative();
    // Many small methods this JVM has not run hot yet: each crosses the compile thresholds.
    double compiled = 0;
    long sink = 0;
    for (int round = 0; round < 20 && compiled == 0; round++) {
      sink += work(round);
      compiled = jit.sinceLast();
      assertThat(compiled).isNotNegative();
    }
    assertThat(compiled).as("compiler CPU after %d of work", sink).isPositive();
    assertThat(jit.sinceLast()).isNotNegative();
  }

  @Test
  void queued_compilations_are_counted_under_the_queue_headings_only() {
    String out =
        """
        Current compiles:\s
        C2 CompilerThread0  3522   !   4       dev.errand.EnqueueCombiner::writeQueued (313 bytes)

        C1 compile queue:
        Empty

        C2 compile queue:
        3099       4       java.net.Socket$SocketOutputStream::write (11 bytes)
        3127 % !   4       org.postgresql.core.v3.QueryExecutorImpl::sendBind @ 642 (824 bytes)
        3176       4       com.zaxxer.hikari.util.SuspendResumeLock$1::acquire (1 bytes)
        """;
    assertThat(JitCpu.countQueued(out)).isEqualTo(3);
    assertThat(
            JitCpu.countQueued(
                "Current compiles: \n\nC1 compile queue:\nEmpty\n\nC2 compile queue:\nEmpty\n"))
        .isZero();
  }

  @Test
  void the_compile_queue_is_read_where_the_jvm_has_the_diagnostic_command() throws Exception {
    assumeTrue(
        ManagementFactory.getPlatformMBeanServer()
            .isRegistered(new ObjectName("com.sun.management:type=DiagnosticCommand")),
        "this JVM has no DiagnosticCommand MBean");
    assertThat(JitCpu.queued()).isNotNegative();
  }

  private static long work(int round) {
    Pattern p = Pattern.compile("(\\d+)-(\\w+)-" + round);
    IntFunction<String> text = i -> i + "-x" + Integer.toHexString(i) + "-" + round;
    long matches =
        IntStream.range(0, 200_000).mapToObj(text).filter(t -> p.matcher(t).matches()).count();
    BigDecimal sum = BigDecimal.ZERO;
    for (int i = 1; i < 20_000; i++) {
      sum = sum.add(BigDecimal.ONE.divide(BigDecimal.valueOf(i), MathContext.DECIMAL64));
    }
    return matches + sum.intValue();
  }
}
