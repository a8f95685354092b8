package dev.errand.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.JobHandle;
import dev.errand.JobQuery;
import dev.errand.JobType;
import dev.errand.jdbc.SqliteJobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * {@link JobEnqueuer} on its own, with Spring's transaction managers and a SQLite file (no
 * application context): which transactions it joins and which it refuses. The engine is not
 * started, so jobs stay QUEUED where they can be counted.
 */
class JobEnqueuerTest {
  record Note(String text) {}

  private Path dir;
  private Errand errand;
  private JobType<Note> note;
  private SQLiteDataSource errandDatabase;
  private SQLiteDataSource otherDatabase;

  private static SQLiteDataSource immediate(Path file) {
    SQLiteConfig config = new SQLiteConfig();
    config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
    config.setBusyTimeout(10_000);
    SQLiteDataSource ds = new SQLiteDataSource(config);
    ds.setUrl("jdbc:sqlite:" + file);
    return ds;
  }

  @BeforeEach
  void openStore() throws Exception {
    dir = Files.createTempDirectory("errand-enqueuer");
    Path file = dir.resolve("app.db");
    errand = Errand.builder().store(SqliteJobStore.file(file)).scheduler(false).build();
    note = errand.register(JobType.of("note", Note.class, (ctx, n) -> {}));
    errand.store().open(); // the schema exists before a transaction holds the write lock
    errandDatabase = immediate(file);
    otherDatabase = immediate(dir.resolve("other.db"));
  }

  @AfterEach
  void closeStore() {
    errand.close();
    SqliteApplicationTest.deleteRecursively(dir);
  }

  private List<String> storedTexts() {
    return errand.jobs(JobQuery.all().type("note")).jobs().stream().map(j -> j.payload()).toList();
  }

  @Test
  void a_transaction_on_the_errand_datasource_carries_the_job_and_its_rollback_removes_it() {
    JobEnqueuer jobs = new JobEnqueuer(errand, errandDatabase);
    TransactionTemplate tx =
        new TransactionTemplate(new DataSourceTransactionManager(errandDatabase));

    tx.executeWithoutResult(
        status -> {
          jobs.enqueue(note, new Note("kept"));
        });
    tx.executeWithoutResult(
        status -> {
          jobs.enqueue("note", new Note("rolled back"), Enqueue.now());
          status.setRollbackOnly();
        });

    assertThat(storedTexts()).singleElement().asString().contains("kept");
  }

  @Test
  void a_transaction_on_another_datasource_is_refused_and_writes_nothing() {
    JobEnqueuer jobs = new JobEnqueuer(errand, errandDatabase);
    TransactionTemplate other =
        new TransactionTemplate(new DataSourceTransactionManager(otherDatabase));

    assertThatThrownBy(
            () -> other.executeWithoutResult(status -> jobs.enqueue(note, new Note("x"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("does not manage the Errand DataSource's connection");
    assertThat(storedTexts()).isEmpty();
  }

  @Test
  void outside_a_transaction_the_job_is_committed_on_its_own() {
    JobHandle job = new JobEnqueuer(errand, errandDatabase).enqueue(note, new Note("alone"));

    assertThat(job.created()).isTrue();
    assertThat(storedTexts()).singleElement().asString().contains("alone");
  }

  @Test
  void without_a_datasource_it_never_joins_a_transaction() {
    JobEnqueuer jobs = new JobEnqueuer(errand, null);
    TransactionTemplate other =
        new TransactionTemplate(new DataSourceTransactionManager(otherDatabase));

    other.executeWithoutResult(
        status -> {
          jobs.enqueue(note, new Note("independent"));
          status.setRollbackOnly();
        });

    assertThat(storedTexts()).singleElement().asString().contains("independent");
  }
}
