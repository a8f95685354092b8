package dev.errand.examples.kitchen;

import dev.errand.Backoff;
import dev.errand.Errand;
import dev.errand.JobContext;
import dev.errand.JobType;
import dev.errand.PermanentFailure;
import dev.errand.TransactionWork;
import dev.errand.examples.kitchen.Stock.Allocation;
import dev.errand.examples.kitchen.Stock.Item;
import dev.errand.examples.kitchen.Stock.Shortage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three background tasks of 004 as Errand job types on queue {@value #QUEUE}: production, and
 * the write-off of products or of preparations. Each attempt waits {@link
 * KitchenConfig#workDelay()} (004's slow remote round trips), then does all of its database work in
 * one transaction that also marks the job succeeded ({@link JobContext#inTransaction}), so a task's
 * stock changes, operations, KPI entry and balances are committed exactly once however often it is
 * delivered.
 */
final class KitchenJobs {
  private static final Logger log = LoggerFactory.getLogger(KitchenJobs.class);
  static final String QUEUE = "kitchen";
  static final String PRODUCTION = "kitchen.production";
  static final String PRODUCT_WRITE_OFF = "kitchen.product-writeoff";
  static final String PREPARATION_WRITE_OFF = "kitchen.preparation-writeoff";

  /** How long a task that lost a race for a batch waits before it runs again. */
  static final Duration RACE_PAUSE = Duration.ofMillis(50);

  /** 004's {@code addProductionTask} payload: ids and amounts only, names are read when it runs. */
  record Production(
      String preparationId,
      long quantity,
      String department,
      String userId,
      String userName,
      String notes) {}

  /** One line of a write-off. */
  record WriteOffItem(String itemId, long quantity) {}

  /** 004's {@code addProductWriteOffTask} and {@code addPrepWriteOffTask} payload. */
  record WriteOff(
      List<WriteOffItem> items,
      String department,
      String responsiblePerson,
      String reason,
      String notes,
      boolean affectsKpi,
      String userId,
      String userName) {}

  private final KitchenConfig config;
  private final Clock clock;
  final JobType<Production> production;
  final JobType<WriteOff> productWriteOff;
  final JobType<WriteOff> preparationWriteOff;

  KitchenJobs(Errand errand, KitchenConfig config) {
    this.config = config;
    this.clock = config.clock();
    Backoff backoff = Backoff.exponential(config.backoff());
    production =
        errand.register(
            JobType.of(PRODUCTION, Production.class, this::produce)
                .queue(QUEUE)
                .maxAttempts(config.maxAttempts())
                .backoff(backoff));
    productWriteOff =
        errand.register(
            JobType.of(PRODUCT_WRITE_OFF, WriteOff.class, (ctx, w) -> writeOff(ctx, w, "product"))
                .queue(QUEUE)
                .maxAttempts(config.maxAttempts())
                .backoff(backoff));
    preparationWriteOff =
        errand.register(
            JobType.of(
                    PREPARATION_WRITE_OFF,
                    WriteOff.class,
                    (ctx, w) -> writeOff(ctx, w, "preparation"))
                .queue(QUEUE)
                .maxAttempts(config.maxAttempts())
                .backoff(backoff));
  }

  static boolean isKitchenType(String type) {
    return type.equals(PRODUCTION)
        || type.equals(PRODUCT_WRITE_OFF)
        || type.equals(PREPARATION_WRITE_OFF);
  }

  /** 004's name of a task type. */
  static String taskType(String jobType) {
    return switch (jobType) {
      case PRODUCTION -> "production";
      case PRODUCT_WRITE_OFF -> "product_writeoff";
      case PREPARATION_WRITE_OFF -> "preparation_writeoff";
      default -> throw new IllegalArgumentException("not a kitchen task: " + jobType);
    };
  }

  /** The slow part of 004's task that is not database work, then the test hook. */
  private void pace(JobContext ctx) throws InterruptedException {
    if (!config.workDelay().isZero()) {
      Thread.sleep(config.workDelay().toMillis());
    }
    config.beforeWork().run(ctx.jobId(), ctx.attempt());
  }

  /**
   * Runs a task's database work in the transaction that also completes its job. Losing a race for a
   * batch to another task is nobody's fault: the task runs again shortly without spending an
   * attempt.
   */
  private static void inTaskTransaction(JobContext ctx, TransactionWork<?> work) throws Exception {
    try {
      ctx.inTransaction(work);
    } catch (Stock.ConcurrentStockChange e) {
      log.info(
          "kitchen job {}: {}; running it again in {}", ctx.jobId(), e.getMessage(), RACE_PAUSE);
      ctx.snooze(RACE_PAUSE);
    }
  }

  // ------------------------------------------------------------------ production

  private void produce(JobContext ctx, Production p) throws Exception {
    pace(ctx);
    Instant now = clock.instant();
    inTaskTransaction(
        ctx,
        c -> {
          Map<String, Item> items = Stock.items(c);
          Item prep = items.get(p.preparationId());
          if (prep == null || !prep.isPreparation()) {
            throw new PermanentFailure("preparation '" + p.preparationId() + "' does not exist");
          }
          Map<String, Long> recipe = Stock.recipe(c, prep.id());
          List<Shortage> shortages = new ArrayList<>();
          for (Map.Entry<String, Long> r : recipe.entrySet()) {
            long need = Stock.needed(p.quantity(), r.getValue(), prep.outputYield());
            long available = Stock.available(c, r.getKey());
            if (available < need) {
              shortages.add(new Shortage(items.get(r.getKey()), need, available));
            }
          }
          if (!shortages.isEmpty()) {
            throw new InsufficientStock(prep, p.quantity(), shortages);
          }
          // 1. FIFO batch allocation of every ingredient
          List<Allocation> taken = new ArrayList<>();
          for (Map.Entry<String, Long> r : recipe.entrySet()) {
            long need = Stock.needed(p.quantity(), r.getValue(), prep.outputYield());
            taken.addAll(Stock.allocateFifo(c, r.getKey(), need));
          }
          long cost = taken.stream().mapToLong(Allocation::cost).sum();
          // 3. the produced batch and the operation
          Stock.addBatch(
              c,
              prep.id(),
              p.quantity(),
              Math.round((double) cost / p.quantity()),
              "production",
              ctx.jobId(),
              now);
          Stock.recordOperation(
              c,
              ctx.jobId(),
              "production",
              prep.id(),
              p.quantity(),
              cost,
              p.department(),
              p.userId(),
              null,
              p.notes(),
              taken,
              now);
          // 4. KPI recording
          config
              .kpiSink()
              .record(
                  c,
                  new KpiSink.Entry(
                      ctx.jobId(),
                      "production",
                      p.userId(),
                      p.userName(),
                      p.department(),
                      cost,
                      true,
                      now));
          // 5. balance recalculation
          for (String item : recipe.keySet()) {
            Stock.recalculateBalance(c, item, now);
          }
          Stock.recalculateBalance(c, prep.id(), now);
          return null;
        });
    log.info("production job {}: {} of {} produced", ctx.jobId(), p.quantity(), p.preparationId());
  }

  // ------------------------------------------------------------------ write-offs

  private void writeOff(JobContext ctx, WriteOff w, String kind) throws Exception {
    pace(ctx);
    Instant now = clock.instant();
    inTaskTransaction(
        ctx,
        c -> {
          Map<String, Item> items = Stock.items(c);
          long total = 0;
          Set<String> touched = new LinkedHashSet<>();
          for (WriteOffItem line : w.items()) {
            Item item = items.get(line.itemId());
            if (item == null || !item.kind().equals(kind)) {
              throw new PermanentFailure(kind + " '" + line.itemId() + "' does not exist");
            }
            long unitCost = Stock.lastUnitCost(c, item.id());
            // 1. FIFO batch allocation
            List<Allocation> taken =
                new ArrayList<>(Stock.allocateFifo(c, item.id(), line.quantity()));
            long missing = line.quantity() - taken.stream().mapToLong(Allocation::quantity).sum();
            if (missing > 0) {
              // 2. negative batch: the goods are gone, the books did not have them
              long batch =
                  Stock.addBatch(c, item.id(), -missing, unitCost, "negative", ctx.jobId(), now);
              taken.add(new Allocation(batch, missing, Math.multiplyExact(missing, unitCost)));
            }
            long cost = taken.stream().mapToLong(Allocation::cost).sum();
            total += cost;
            // 3. the operation
            Stock.recordOperation(
                c,
                ctx.jobId(),
                "write_off",
                item.id(),
                line.quantity(),
                cost,
                w.department(),
                w.userId(),
                w.reason(),
                w.notes(),
                taken,
                now);
            touched.add(item.id());
          }
          // 4. KPI recording
          config
              .kpiSink()
              .record(
                  c,
                  new KpiSink.Entry(
                      ctx.jobId(),
                      kind + "_writeoff",
                      w.userId(),
                      w.userName(),
                      w.department(),
                      total,
                      w.affectsKpi(),
                      now));
          // 5. balance recalculation
          for (String item : touched) {
            Stock.recalculateBalance(c, item, now);
          }
          return null;
        });
  }

  /** A production needs more of some products than is in stock; retrying will not change that. */
  static final class InsufficientStock extends PermanentFailure {
    private static final long serialVersionUID = 1L;

    InsufficientStock(Item preparation, long quantity, List<Shortage> shortages) {
      super(
          "not enough stock for "
              + quantity
              + " "
              + preparation.unit()
              + " of "
              + preparation.name()
              + ": "
              + shortages.stream()
                  .map(
                      s ->
                          s.product().name()
                              + " needs "
                              + s.needed()
                              + " "
                              + s.product().unit()
                              + ", "
                              + s.available()
                              + " "
                              + s.product().unit()
                              + " in stock")
                  .collect(Collectors.joining("; "))
              + ". Receive stock, then retry the task");
    }
  }
}
