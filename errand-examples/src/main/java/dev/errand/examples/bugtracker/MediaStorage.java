package dev.errand.examples.bugtracker;

import java.io.IOException;

/** Where uploaded media files live (002's "storage provider"). Thread-safe. */
public interface MediaStorage {
  /** Stores {@code bytes} under a new key and returns it. */
  String put(String fileName, byte[] bytes) throws IOException;

  /** True if the file of {@code key} exists. */
  boolean exists(String key) throws IOException;

  /**
   * Deletes the file of {@code key}. Idempotent: deleting a missing file succeeds. Throws if the
   * file may still exist, so the caller retries.
   */
  void delete(String key) throws IOException;
}
