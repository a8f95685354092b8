package dev.errand.examples.bugtracker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Media files in one directory. Keys are generated names; a key that would leave the directory
 * ({@code ../}, absolute paths) is refused, so a job can delete only media files, whatever its
 * input says.
 */
public final class LocalMediaStorage implements MediaStorage {
  private final Path root;

  public LocalMediaStorage(Path root) throws IOException {
    this.root = Files.createDirectories(root).toRealPath();
  }

  public Path root() {
    return root;
  }

  @Override
  public String put(String fileName, byte[] bytes) throws IOException {
    String safe = fileName == null ? "file" : fileName.replaceAll("[^A-Za-z0-9._-]", "_");
    String key =
        UUID.randomUUID() + "-" + (safe.length() > 80 ? safe.substring(safe.length() - 80) : safe);
    Files.write(resolve(key), bytes);
    return key;
  }

  @Override
  public boolean exists(String key) {
    return Files.exists(resolve(key));
  }

  @Override
  public void delete(String key) throws IOException {
    Files.deleteIfExists(resolve(key));
  }

  Path resolve(String key) {
    Path p = root.resolve(key).normalize();
    if (!p.getParent().equals(root) || key.contains("/") || key.contains("\\")) {
      throw new IllegalArgumentException("media key '" + key + "' is outside the media directory");
    }
    return p;
  }
}
