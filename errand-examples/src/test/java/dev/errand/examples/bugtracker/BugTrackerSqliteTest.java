package dev.errand.examples.bugtracker;

/** The core flows of 002 on SQLite (the default database). */
class BugTrackerSqliteTest extends BugTrackerFlows {}
