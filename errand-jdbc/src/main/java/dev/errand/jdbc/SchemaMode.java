package dev.errand.jdbc;

/** What a JDBC store does about its schema when it opens. */
public enum SchemaMode {
  /** Apply pending migrations, under a lock so that one node migrates (default). */
  MIGRATE,
  /** Fail to open, naming the pending migrations, if the schema is not current. */
  VALIDATE,
  /** Touch nothing: the schema is managed outside Errand (the plain SQL ships in the jar). */
  NONE
}
