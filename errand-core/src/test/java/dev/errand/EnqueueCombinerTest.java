package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;

import dev.errand.spi.EnqueueResult;
import dev.errand.spi.NewJob;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EnqueueCombinerTest {
  private static NewJob job(String payload, String key) {
    return new NewJob("t", "q", payload, 0, 3, Instant.now(), key, Set.of(), null);
  }

  @Test
  void concurrent_callers_each_get_their_own_jobs_back() throws Exception {
    MemoryJobStore store = MemoryJobStore.create();
    EnqueueCombiner combiner = new EnqueueCombiner(store);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Map<Long, String>>> fs = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int thread = t;
      fs.add(
          pool.submit(
              () -> {
                go.await();
                Map<Long, String> mine = new ConcurrentHashMap<>();
                for (int i = 0; i < 300; i++) {
                  String payload = "{\"t\":" + thread + ",\"i\":" + i + "}";
                  List<NewJob> two = List.of(job(payload, null), job(payload, "shared-" + i));
                  List<EnqueueResult> r = combiner.enqueue(two);
                  assertThat(r).hasSize(2);
                  mine.put(r.get(0).id(), payload);
                }
                return mine;
              }));
    }
    go.countDown();
    Map<Long, String> all = new ConcurrentHashMap<>();
    for (Future<Map<Long, String>> f : fs) {
      all.putAll(f.get(60, TimeUnit.SECONDS));
    }
    pool.shutdownNow();
    assertThat(all).hasSize(8 * 300);
    all.forEach(
        (id, payload) -> assertThat(store.find(id).orElseThrow().payload()).isEqualTo(payload));
    // one live job per shared key, whichever caller created it
    assertThat(store.counts().count(JobState.QUEUED)).isEqualTo(8 * 300 + 300);
  }

  @Test
  void a_failing_request_fails_only_its_own_caller() throws Exception {
    MemoryJobStore memory = MemoryJobStore.create();
    CountDownLatch firstWriteStarted = new CountDownLatch(1);
    CountDownLatch releaseFirstWrite = new CountDownLatch(1);
    dev.errand.spi.JobStore failing =
        (dev.errand.spi.JobStore)
            java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {dev.errand.spi.JobStore.class},
                (proxy, m, args) -> {
                  if (m.getName().equals("enqueue") && args.length == 1) {
                    @SuppressWarnings("unchecked")
                    List<NewJob> jobs = (List<NewJob>) args[0];
                    if (jobs.stream().anyMatch(j -> j.payload().equals("first"))) {
                      firstWriteStarted.countDown();
                      releaseFirstWrite.await();
                    }
                    if (jobs.stream().anyMatch(j -> j.payload().equals("bad"))) {
                      throw new IllegalStateException("store refused the bad job");
                    }
                  }
                  try {
                    return m.invoke(memory, args);
                  } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    EnqueueCombiner combiner = new EnqueueCombiner(failing);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    Future<List<EnqueueResult>> first =
        pool.submit(() -> combiner.enqueue(List.of(job("first", null))));
    firstWriteStarted.await(10, TimeUnit.SECONDS);
    Future<List<EnqueueResult>> good =
        pool.submit(() -> combiner.enqueue(List.of(job("good", null))));
    Future<List<EnqueueResult>> bad =
        pool.submit(() -> combiner.enqueue(List.of(job("bad", null))));
    // both queue up behind the first write, then are written together
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> combiner.queued() == 2);
    releaseFirstWrite.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS)).hasSize(1);
    assertThat(good.get(10, TimeUnit.SECONDS))
        .singleElement()
        .satisfies(r -> assertThat(memory.find(r.id()).orElseThrow().payload()).isEqualTo("good"));
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> bad.get(10, TimeUnit.SECONDS)))
        .hasRootCauseMessage("store refused the bad job");
    pool.shutdownNow();
  }

  @Test
  void with_two_writers_a_second_caller_writes_at_once_and_a_third_waits_to_be_combined()
      throws Exception {
    MemoryJobStore memory = MemoryJobStore.create();
    CountDownLatch releaseOne = new CountDownLatch(1);
    CountDownLatch releaseTwo = new CountDownLatch(1);
    Set<String> inFlight = ConcurrentHashMap.newKeySet();
    List<List<String>> writes = new java.util.concurrent.CopyOnWriteArrayList<>();
    dev.errand.spi.JobStore slow =
        (dev.errand.spi.JobStore)
            java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {dev.errand.spi.JobStore.class},
                (proxy, m, args) -> {
                  if (m.getName().equals("enqueue") && args.length == 1) {
                    @SuppressWarnings("unchecked")
                    List<NewJob> jobs = (List<NewJob>) args[0];
                    List<String> payloads = jobs.stream().map(NewJob::payload).toList();
                    writes.add(payloads);
                    inFlight.addAll(payloads);
                    if (payloads.contains("one")) {
                      releaseOne.await();
                    } else if (payloads.contains("two")) {
                      releaseTwo.await();
                    }
                  }
                  try {
                    return m.invoke(memory, args);
                  } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    EnqueueCombiner combiner = new EnqueueCombiner(slow, 2);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    Future<List<EnqueueResult>> one =
        pool.submit(() -> combiner.enqueue(List.of(job("one", null))));
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> inFlight.contains("one"));
    Future<List<EnqueueResult>> two =
        pool.submit(() -> combiner.enqueue(List.of(job("two", null))));
    // the second slot is free: "two" is written while "one" is still in flight
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> inFlight.contains("two"));
    Future<List<EnqueueResult>> three =
        pool.submit(() -> combiner.enqueue(List.of(job("three", null))));
    Future<List<EnqueueResult>> four =
        pool.submit(() -> combiner.enqueue(List.of(job("four", null))));
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> combiner.queued() == 2);
    assertThat(inFlight).containsExactlyInAnyOrder("one", "two");
    // the writer of "one" serves the queue when its write ends, while "two" is still in flight
    releaseOne.countDown();
    assertThat(three.get(10, TimeUnit.SECONDS)).hasSize(1);
    assertThat(four.get(10, TimeUnit.SECONDS)).hasSize(1);
    assertThat(two).isNotDone();
    releaseTwo.countDown();
    for (var f : List.of(one, two, three, four)) {
      assertThat(f.get(10, TimeUnit.SECONDS))
          .singleElement()
          .satisfies(r -> assertThat(memory.find(r.id())).isPresent());
    }
    pool.shutdownNow();
    // "three" and "four" waited while both slots were busy and went out in one write
    assertThat(writes).contains(List.of("one"), List.of("two"));
    assertThat(writes).anySatisfy(w -> assertThat(w).containsExactlyInAnyOrder("three", "four"));
    assertThat(writes).hasSize(3);
  }

  @Test
  void writers_below_one_are_rejected() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new EnqueueCombiner(MemoryJobStore.create(), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 1");
  }
}
