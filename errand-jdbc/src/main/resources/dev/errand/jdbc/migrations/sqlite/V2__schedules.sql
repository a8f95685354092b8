-- Errand job store, SQLite, version 2: stored schedules.
-- Times are INTEGER microseconds since the epoch (UTC), as in version 1.
-- Statements end with a semicolon at the end of a line.

-- One row per schedule; materialized_through is the cursor the scheduler advances with a
-- conditional UPDATE in the transaction that inserts the occurrences (see docs/schedules.md).
CREATE TABLE errand_schedules (
  name                 TEXT    NOT NULL PRIMARY KEY,
  type                 TEXT    NOT NULL,
  queue                TEXT    NOT NULL,
  priority             INTEGER NOT NULL DEFAULT 0,
  max_attempts         INTEGER NOT NULL CHECK (max_attempts >= 1),
  payload              TEXT    NOT NULL,
  schedule             TEXT    NOT NULL,
  look_ahead           INTEGER NOT NULL CHECK (look_ahead BETWEEN 1 AND 1000),
  misfire              TEXT    NOT NULL,
  paused               INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  materialized_through INTEGER NOT NULL,
  refill_at            INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);

-- What the scheduler polls: schedules whose window needs topping up (refill_at passed or null).
CREATE INDEX errand_schedules_due ON errand_schedules (refill_at, name) WHERE paused = 0;

-- Live occurrences of a schedule: the window shown ahead of time, cascade on delete, orphans.
CREATE INDEX errand_jobs_schedule ON errand_jobs (schedule_id, run_at)
  WHERE schedule_id IS NOT NULL AND state IN ('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING');
