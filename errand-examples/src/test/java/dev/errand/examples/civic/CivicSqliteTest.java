package dev.errand.examples.civic;

/** The core flows of 001 on SQLite (the default database). */
class CivicSqliteTest extends CivicFlows {}
