package dev.errand.examples.recurring;

/** The core flows of 003 on SQLite (the default database). */
class RecurringTasksSqliteTest extends RecurringTasksFlows {}
