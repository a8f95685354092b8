-- Errand job store, SQLite, version 1.
-- Every time is an INTEGER count of microseconds since 1970-01-01T00:00:00Z (UTC), written with
-- the JVM clock of the process that owns the store (SQLite has one node, so that is the database
-- clock). Microseconds match PostgreSQL's timestamp precision.
-- Statements end with a semicolon at the end of a line (that is how Migrations splits them).

CREATE TABLE errand_jobs (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  type         TEXT    NOT NULL,
  queue        TEXT    NOT NULL,
  payload      TEXT    NOT NULL,
  state        TEXT    NOT NULL CHECK (state IN ('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING',
                                                 'SUCCEEDED', 'FAILED', 'CANCELLED')),
  priority     INTEGER NOT NULL DEFAULT 0,
  attempt      INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  run_at       INTEGER NOT NULL,
  unique_key   TEXT,
  lease_until  INTEGER,
  node_id      TEXT,
  fence        INTEGER NOT NULL DEFAULT 0,
  rescues      INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  started_at   INTEGER,
  finished_at  INTEGER,
  last_error   TEXT,
  errors       TEXT    NOT NULL DEFAULT '[]',
  progress     INTEGER,
  result       TEXT,
  schedule_id  TEXT,
  tags         TEXT    NOT NULL DEFAULT ''
);

-- The claim reads only this: waiting jobs of one queue in claim order. Finished and running jobs
-- are not in it, so they do not slow the fetch down however many pile up.
CREATE INDEX errand_jobs_fetch ON errand_jobs (queue, priority DESC, run_at, id)
  WHERE state IN ('SCHEDULED', 'QUEUED', 'RETRYING');

-- The rescuer: running jobs by lease expiry.
CREATE INDEX errand_jobs_lease ON errand_jobs (lease_until)
  WHERE state = 'RUNNING';

-- Pruning finished jobs (state, finished_at) and counting jobs by state.
CREATE INDEX errand_jobs_state ON errand_jobs (state, finished_at);

-- At most one live job per unique key; a finished job frees its key.
CREATE UNIQUE INDEX errand_jobs_unique_live ON errand_jobs (unique_key)
  WHERE unique_key IS NOT NULL AND state IN ('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING');

CREATE TABLE errand_queues (
  name       TEXT    NOT NULL PRIMARY KEY,
  paused     INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  updated_at INTEGER NOT NULL
);

CREATE TABLE errand_nodes (
  id           TEXT    NOT NULL PRIMARY KEY,
  host         TEXT    NOT NULL,
  pid          INTEGER NOT NULL,
  started_at   INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  queues       TEXT    NOT NULL DEFAULT '{}'
);
