-- Errand PostgreSQL schema, version 2: stored schedules.
-- Every statement ends with a semicolon at the end of a line.

-- One row per schedule. materialized_through is the cursor every node's scheduler advances with
-- a conditional UPDATE (WHERE materialized_through = the value it read) in the same transaction
-- that inserts the occurrences: a fire time is inserted by exactly one transaction, ever.
CREATE TABLE errand_schedules (
  name                 TEXT        PRIMARY KEY,
  type                 TEXT        NOT NULL,
  queue                TEXT        NOT NULL,
  priority             INTEGER     NOT NULL DEFAULT 0,
  max_attempts         INTEGER     NOT NULL,
  payload              TEXT        NOT NULL,
  schedule             TEXT        NOT NULL,
  look_ahead           INTEGER     NOT NULL,
  misfire              TEXT        NOT NULL,
  paused               BOOLEAN     NOT NULL DEFAULT FALSE,
  materialized_through TIMESTAMPTZ NOT NULL,
  refill_at            TIMESTAMPTZ,
  created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT errand_schedules_look_ahead_check CHECK (look_ahead BETWEEN 1 AND 1000),
  CONSTRAINT errand_schedules_max_attempts_check CHECK (max_attempts >= 1)
);

-- What the schedulers poll: schedules whose window needs topping up (refill_at passed or null).
CREATE INDEX errand_schedules_due ON errand_schedules (refill_at NULLS FIRST, name)
  WHERE NOT paused;

-- Live occurrences of a schedule: the window shown ahead of time, cascade on delete, orphans.
CREATE INDEX errand_jobs_schedule ON errand_jobs (schedule_id, run_at)
  WHERE schedule_id IS NOT NULL AND state IN ('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING');
