package dev.errand.examples.kitchen;

import static dev.errand.examples.ExampleDatabase.number;
import static dev.errand.examples.ExampleDatabase.update;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The demo kitchen created on first start: products with two or more batches where FIFO matters,
 * and three preparations with their recipes (amounts per {@code outputYield} units). Stock is only
 * added to an empty database, so a restart keeps what the tasks did.
 */
final class Seed {
  record Product(String id, String name, String unit, String department) {}

  record Preparation(
      String id,
      String name,
      String unit,
      String department,
      long outputYield,
      List<Line> recipe) {}

  record Line(String productId, long amount) {}

  record Batch(String productId, long quantity, long unitCost) {}

  static final List<Product> PRODUCTS =
      List.of(
          new Product("chickpeas", "Chickpeas", "g", "kitchen"),
          new Product("tahini", "Tahini", "g", "kitchen"),
          new Product("lemon-juice", "Lemon juice", "ml", "kitchen"),
          new Product("garlic", "Garlic", "g", "kitchen"),
          new Product("olive-oil", "Olive oil", "ml", "kitchen"),
          new Product("tomatoes", "Tomatoes", "g", "kitchen"),
          new Product("onion", "Onion", "g", "kitchen"),
          new Product("sugar", "Sugar", "g", "bar"),
          new Product("lime-juice", "Lime juice", "ml", "bar"));

  static final List<Preparation> PREPARATIONS =
      List.of(
          new Preparation(
              "hummus",
              "Hummus",
              "g",
              "kitchen",
              1000,
              List.of(
                  new Line("chickpeas", 600),
                  new Line("tahini", 200),
                  new Line("lemon-juice", 100),
                  new Line("garlic", 20),
                  new Line("olive-oil", 80))),
          new Preparation(
              "tomato-sauce",
              "Tomato sauce",
              "g",
              "kitchen",
              1000,
              List.of(
                  new Line("tomatoes", 900), new Line("onion", 100), new Line("olive-oil", 30))),
          new Preparation(
              "lime-syrup",
              "Lime syrup",
              "ml",
              "bar",
              1000,
              List.of(new Line("sugar", 500), new Line("lime-juice", 500))));

  /** Oldest first: chickpeas come in two batches, the older one cheaper. */
  static final List<Batch> BATCHES =
      List.of(
          new Batch("chickpeas", 1000, 30),
          new Batch("chickpeas", 5000, 36),
          new Batch("tahini", 2000, 120),
          new Batch("lemon-juice", 1000, 40),
          new Batch("garlic", 500, 50),
          new Batch("olive-oil", 2000, 150),
          new Batch("tomatoes", 5000, 20),
          new Batch("onion", 2000, 15),
          new Batch("sugar", 3000, 14),
          new Batch("lime-juice", 1000, 60));

  private Seed() {}

  /** Adds the catalog and balances if missing, and the first batches to an empty stock. */
  static void apply(Connection c, Instant now) throws SQLException {
    for (Product p : PRODUCTS) {
      item(c, p.id(), "product", p.name(), p.unit(), p.department(), null, now);
    }
    for (Preparation p : PREPARATIONS) {
      item(c, p.id(), "preparation", p.name(), p.unit(), p.department(), p.outputYield(), now);
      for (Line l : p.recipe()) {
        update(
            c,
            "INSERT INTO kitchen_recipes (preparation_id, product_id, amount) VALUES (?, ?, ?)"
                + " ON CONFLICT (preparation_id, product_id) DO NOTHING",
            p.id(),
            l.productId(),
            l.amount());
      }
    }
    if (number(c, "SELECT COUNT(*) FROM stock_batches") == 0) {
      Instant at = now.minus(Duration.ofDays(BATCHES.size()));
      for (Batch b : BATCHES) {
        Stock.addBatch(c, b.productId(), b.quantity(), b.unitCost(), "receipt", null, at);
        at = at.plus(Duration.ofDays(1));
      }
      for (Product p : PRODUCTS) {
        Stock.recalculateBalance(c, p.id(), now);
      }
    }
  }

  private static void item(
      Connection c,
      String id,
      String kind,
      String name,
      String unit,
      String department,
      Long outputYield,
      Instant now)
      throws SQLException {
    update(
        c,
        "INSERT INTO kitchen_items (id, kind, name, unit, department, output_yield)"
            + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        id,
        kind,
        name,
        unit,
        department,
        outputYield);
    update(
        c,
        "INSERT INTO stock_balances (item_id, quantity, value, updated_at) VALUES (?, 0, 0, ?)"
            + " ON CONFLICT (item_id) DO NOTHING",
        id,
        now.toEpochMilli());
  }
}
