package dev.errand.examples.kitchen;

import static dev.errand.examples.ExampleDatabase.insert;
import static dev.errand.examples.ExampleDatabase.number;
import static dev.errand.examples.ExampleDatabase.query;
import static dev.errand.examples.ExampleDatabase.update;

import dev.errand.examples.Json;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kitchen's stock: items (products bought in, preparations made from them), their batches, and
 * the FIFO allocation, batch and balance writes a task makes. Every method works on the caller's
 * connection and transaction.
 *
 * <p>Quantities are whole units of the item ({@code g}, {@code ml}, {@code pcs}); costs are whole
 * minor currency units, a batch's {@code unit_cost} per unit of its item. A batch's {@code
 * quantity} is what is left of it; a negative batch ({@code quantity < 0}) records stock written
 * off that the books did not have.
 */
final class Stock {
  static final String SCHEMA =
      """
      CREATE TABLE IF NOT EXISTS kitchen_items (id TEXT PRIMARY KEY, kind TEXT NOT NULL,
        name TEXT NOT NULL, unit TEXT NOT NULL, department TEXT NOT NULL, output_yield BIGINT);
      CREATE TABLE IF NOT EXISTS kitchen_recipes (preparation_id TEXT NOT NULL, product_id TEXT NOT NULL,
        amount BIGINT NOT NULL, PRIMARY KEY (preparation_id, product_id));
      CREATE TABLE IF NOT EXISTS stock_batches (id ${ID}, item_id TEXT NOT NULL,
        initial_quantity BIGINT NOT NULL, quantity BIGINT NOT NULL, unit_cost BIGINT NOT NULL,
        source TEXT NOT NULL, job_id BIGINT, received_at BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS stock_batches_fifo ON stock_batches (item_id, received_at, id);
      CREATE TABLE IF NOT EXISTS stock_operations (id ${ID}, job_id BIGINT, kind TEXT NOT NULL,
        item_id TEXT NOT NULL, quantity BIGINT NOT NULL, cost BIGINT NOT NULL, department TEXT NOT NULL,
        user_id TEXT NOT NULL, reason TEXT, notes TEXT, created_at BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS stock_operations_job ON stock_operations (job_id);
      CREATE TABLE IF NOT EXISTS stock_allocations (id ${ID}, operation_id BIGINT NOT NULL,
        batch_id BIGINT NOT NULL, quantity BIGINT NOT NULL, cost BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS stock_allocations_operation ON stock_allocations (operation_id);
      CREATE TABLE IF NOT EXISTS kpi_entries (id ${ID}, job_id BIGINT NOT NULL UNIQUE, kind TEXT NOT NULL,
        user_id TEXT NOT NULL, user_name TEXT NOT NULL, department TEXT NOT NULL, cost BIGINT NOT NULL,
        affects_kpi INTEGER NOT NULL, recorded_at BIGINT NOT NULL);
      CREATE TABLE IF NOT EXISTS stock_balances (item_id TEXT PRIMARY KEY, quantity BIGINT NOT NULL,
        value BIGINT NOT NULL, updated_at BIGINT NOT NULL)
      """;

  /** An item of the catalog. {@code outputYield} is set for preparations only. */
  record Item(
      String id, String kind, String name, String unit, String department, Long outputYield) {
    boolean isPreparation() {
      return kind.equals("preparation");
    }
  }

  /** What one allocation took from one batch. */
  record Allocation(long batchId, long quantity, long cost) {}

  /** A product short of what a production needs. */
  record Shortage(Item product, long needed, long available) {}

  private Stock() {}

  static Map<String, Item> items(Connection c) throws SQLException {
    Map<String, Item> items = new LinkedHashMap<>();
    for (Item i :
        query(
            c,
            "SELECT id, kind, name, unit, department, output_yield FROM kitchen_items"
                + " ORDER BY kind, name",
            rs -> {
              long y = rs.getLong(6);
              return new Item(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getString(5),
                  rs.wasNull() ? null : y);
            })) {
      items.put(i.id(), i);
    }
    return items;
  }

  /** Product id → amount for {@code item.outputYield()} units of the preparation. */
  static Map<String, Long> recipe(Connection c, String preparationId) throws SQLException {
    Map<String, Long> r = new LinkedHashMap<>();
    for (Object[] row :
        query(
            c,
            "SELECT product_id, amount FROM kitchen_recipes WHERE preparation_id = ?"
                + " ORDER BY product_id",
            rs -> new Object[] {rs.getString(1), rs.getLong(2)},
            preparationId)) {
      r.put((String) row[0], (Long) row[1]);
    }
    return r;
  }

  /** How much of a product {@code quantity} units of a preparation need, rounded up. */
  static long needed(long quantity, long amount, long outputYield) {
    return Math.floorDiv(Math.multiplyExact(quantity, amount) + outputYield - 1, outputYield);
  }

  /** Stock on hand of {@code itemId}: the sum of its positive batches. */
  static long available(Connection c, String itemId) throws SQLException {
    return number(
        c,
        "SELECT COALESCE(SUM(quantity), 0) FROM stock_batches WHERE item_id = ? AND quantity > 0",
        itemId);
  }

  /**
   * Takes up to {@code quantity} of {@code itemId} from its batches, oldest first, and returns what
   * came from which batch (less than asked when the stock runs out).
   *
   * @throws ConcurrentStockChange if another transaction changed a batch between the read and the
   *     write (the task runs again without spending an attempt)
   */
  static List<Allocation> allocateFifo(Connection c, String itemId, long quantity)
      throws SQLException {
    List<long[]> batches =
        query(
            c,
            "SELECT id, quantity, unit_cost FROM stock_batches WHERE item_id = ? AND quantity > 0"
                + " ORDER BY received_at, id",
            rs -> new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)},
            itemId);
    List<Allocation> taken = new ArrayList<>();
    long left = quantity;
    for (long[] b : batches) {
      if (left == 0) {
        break;
      }
      long take = Math.min(left, b[1]);
      if (update(
              c,
              "UPDATE stock_batches SET quantity = quantity - ? WHERE id = ? AND quantity >= ?",
              take,
              b[0],
              take)
          != 1) {
        throw new ConcurrentStockChange(itemId, b[0]);
      }
      taken.add(new Allocation(b[0], take, Math.multiplyExact(take, b[2])));
      left -= take;
    }
    return taken;
  }

  /** Adds a batch and returns its id. */
  static long addBatch(
      Connection c,
      String itemId,
      long quantity,
      long unitCost,
      String source,
      Long jobId,
      Instant at)
      throws SQLException {
    return insert(
            c,
            "INSERT INTO stock_batches (item_id, initial_quantity, quantity, unit_cost, source,"
                + " job_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            itemId,
            quantity,
            quantity,
            unitCost,
            source,
            jobId,
            at.toEpochMilli())
        .orElseThrow();
  }

  /** The unit cost of the newest received or produced batch of {@code itemId}, 0 if none. */
  static long lastUnitCost(Connection c, String itemId) throws SQLException {
    return number(
        c,
        "SELECT unit_cost FROM stock_batches WHERE item_id = ? AND initial_quantity > 0"
            + " ORDER BY received_at DESC, id DESC LIMIT 1",
        itemId);
  }

  /** Stores an operation and the allocations it made; returns the operation's id. */
  static long recordOperation(
      Connection c,
      Long jobId,
      String kind,
      String itemId,
      long quantity,
      long cost,
      String department,
      String userId,
      String reason,
      String notes,
      List<Allocation> allocations,
      Instant at)
      throws SQLException {
    long id =
        insert(
                c,
                "INSERT INTO stock_operations (job_id, kind, item_id, quantity, cost, department,"
                    + " user_id, reason, notes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    + " RETURNING id",
                jobId,
                kind,
                itemId,
                quantity,
                cost,
                department,
                userId,
                reason,
                notes,
                at.toEpochMilli())
            .orElseThrow();
    for (Allocation a : allocations) {
      update(
          c,
          "INSERT INTO stock_allocations (operation_id, batch_id, quantity, cost) VALUES (?, ?, ?, ?)",
          id,
          a.batchId(),
          a.quantity(),
          a.cost());
    }
    return id;
  }

  /** Recomputes the stored balance of {@code itemId} from its batches. */
  static void recalculateBalance(Connection c, String itemId, Instant at) throws SQLException {
    update(
        c,
        "UPDATE stock_balances SET"
            + " quantity = (SELECT COALESCE(SUM(quantity), 0) FROM stock_batches WHERE item_id = ?),"
            + " value = (SELECT COALESCE(SUM(quantity * unit_cost), 0) FROM stock_batches"
            + " WHERE item_id = ?), updated_at = ? WHERE item_id = ?",
        itemId,
        itemId,
        at.toEpochMilli(),
        itemId);
  }

  /** Every item with its balance, for the page. */
  static List<Map<String, Object>> balances(Connection c) throws SQLException {
    return query(
        c,
        "SELECT i.id, i.kind, i.name, i.unit, i.department, b.quantity, b.value, b.updated_at"
            + " FROM kitchen_items i JOIN stock_balances b ON b.item_id = i.id"
            + " ORDER BY i.kind, i.name",
        rs ->
            Json.object(
                "id",
                rs.getString(1),
                "kind",
                rs.getString(2),
                "name",
                rs.getString(3),
                "unit",
                rs.getString(4),
                "department",
                rs.getString(5),
                "quantity",
                rs.getLong(6),
                "value",
                rs.getLong(7),
                "updatedAt",
                Instant.ofEpochMilli(rs.getLong(8)).toString()));
  }

  /** The batches of {@code itemId}, oldest first. */
  static List<Map<String, Object>> batches(Connection c, String itemId) throws SQLException {
    return query(
        c,
        "SELECT id, initial_quantity, quantity, unit_cost, source, job_id, received_at"
            + " FROM stock_batches WHERE item_id = ? ORDER BY received_at, id",
        rs -> {
          long job = rs.getLong(6);
          boolean hasJob = !rs.wasNull();
          return Json.object(
              "id",
              rs.getLong(1),
              "initialQuantity",
              rs.getLong(2),
              "quantity",
              rs.getLong(3),
              "unitCost",
              rs.getLong(4),
              "source",
              rs.getString(5),
              "jobId",
              hasJob ? job : null,
              "receivedAt",
              Instant.ofEpochMilli(rs.getLong(7)).toString());
        },
        itemId);
  }

  /** Another transaction took from a batch this one was allocating from; run the task again. */
  static final class ConcurrentStockChange extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConcurrentStockChange(String itemId, long batchId) {
      super("batch " + batchId + " of " + itemId + " changed while this task allocated from it");
    }
  }
}
