package dev.errand.examples.kitchen;

/** The core flows of 004 on SQLite (the default database). */
class KitchenSqliteTest extends KitchenFlows {}
