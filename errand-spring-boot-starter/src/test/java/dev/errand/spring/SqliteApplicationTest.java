package dev.errand.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.errand.jdbc.SqliteJobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The application on one SQLite file shared by the application's pool and Errand's store, set up as
 * docs/spring-boot.md says: transactions begin IMMEDIATE and wait for the write lock.
 */
class SqliteApplicationTest extends ApplicationContract {
  private Path dir;
  private Path file;

  static String url(Path file) {
    return "jdbc:sqlite:"
        + file
        + "?transaction_mode=IMMEDIATE&busy_timeout=10000&journal_mode=WAL";
  }

  @Override
  Map<String, Object> databaseProperties() {
    try {
      dir = Files.createTempDirectory("errand-spring-sqlite");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    file = dir.resolve("app.db");
    return Map.of(
        "spring.datasource.url", url(file), "spring.datasource.hikari.maximum-pool-size", "4");
  }

  @Override
  void closeDatabase() {
    deleteRecursively(dir);
  }

  static void deleteRecursively(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void the_store_is_sqlite_on_the_application_database_file() throws IOException {
    assertThat(errand.store()).isInstanceOf(SqliteJobStore.class);
    assertThat(Files.isSameFile(((SqliteJobStore) errand.store()).path(), file)).isTrue();
  }
}
