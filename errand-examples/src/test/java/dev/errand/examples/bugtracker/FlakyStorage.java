package dev.errand.examples.bugtracker;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real local files whose first {@code failures} deletions throw, as a storage provider outage
 * would.
 */
final class FlakyStorage implements MediaStorage {
  private final MediaStorage files;
  private final int failures;
  final AtomicInteger deletes = new AtomicInteger();

  FlakyStorage(MediaStorage files, int failures) {
    this.files = files;
    this.failures = failures;
  }

  @Override
  public String put(String fileName, byte[] bytes) throws IOException {
    return files.put(fileName, bytes);
  }

  @Override
  public boolean exists(String key) throws IOException {
    return files.exists(key);
  }

  @Override
  public void delete(String key) throws IOException {
    if (deletes.incrementAndGet() <= failures) {
      throw new IOException("storage provider unavailable (delete " + deletes.get() + ")");
    }
    files.delete(key);
  }
}
