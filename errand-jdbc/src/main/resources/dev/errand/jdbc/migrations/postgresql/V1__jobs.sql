-- Errand PostgreSQL schema, version 1.
-- Applied by PostgresJobStore.open() under an advisory lock when SchemaMode.MIGRATE; teams with
-- their own migration tool run this file as it is and open the store with SchemaMode.NONE.
-- Every statement ends with a semicolon at the end of a line.

-- One row per job, live or finished. fillfactor 70 leaves room on each page so that updates
-- that touch no indexed column (heartbeats: lease_until, progress) stay HOT.
CREATE TABLE errand_jobs (
  id           BIGSERIAL   PRIMARY KEY,
  type         TEXT        NOT NULL,
  queue        TEXT        NOT NULL,
  payload      TEXT        NOT NULL,
  state        TEXT        NOT NULL,
  priority     INTEGER     NOT NULL DEFAULT 0,
  attempt      INTEGER     NOT NULL DEFAULT 0,
  max_attempts INTEGER     NOT NULL,
  run_at       TIMESTAMPTZ NOT NULL,
  unique_key   TEXT,
  lease_until  TIMESTAMPTZ,
  node_id      TEXT,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  started_at   TIMESTAMPTZ,
  finished_at  TIMESTAMPTZ,
  last_error   TEXT,
  errors       JSONB       NOT NULL DEFAULT '[]'::jsonb,
  progress     INTEGER,
  result       TEXT,
  schedule_id  TEXT,
  tags         TEXT        NOT NULL DEFAULT '',
  rescues      INTEGER     NOT NULL DEFAULT 0,
  fence        BIGINT      NOT NULL DEFAULT 0,
  CONSTRAINT errand_jobs_state_check CHECK (state IN
    ('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
  CONSTRAINT errand_jobs_max_attempts_check CHECK (max_attempts >= 1)
) WITH (fillfactor = 70);

-- The fetch: exactly the waiting rows, in claim order per queue. Finished rows are not in it,
-- so however many pile up, a claim reads only the head of this index.
CREATE INDEX errand_jobs_fetch ON errand_jobs (queue, priority DESC, run_at, id)
  WHERE state IN ('SCHEDULED', 'QUEUED', 'RETRYING');

-- Lease expiry: only RUNNING rows (at most the total worker concurrency). lease_until is left out
-- of the key on purpose, so that heartbeats, which only move lease_until, are HOT updates; the
-- rescuer reads this small index whole.
CREATE INDEX errand_jobs_running ON errand_jobs (node_id)
  WHERE state = 'RUNNING';

-- Pruning finished jobs, oldest first, per final state.
CREATE INDEX errand_jobs_finished ON errand_jobs (state, finished_at)
  WHERE state IN ('SUCCEEDED', 'FAILED', 'CANCELLED');

-- At most one live job per unique key; a final job frees its key.
CREATE UNIQUE INDEX errand_jobs_unique_live ON errand_jobs (unique_key)
  WHERE unique_key IS NOT NULL AND state IN ('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING');

-- Cluster-wide queue flags. A queue without a row is not paused.
CREATE TABLE errand_queues (
  name       TEXT        PRIMARY KEY,
  paused     BOOLEAN     NOT NULL DEFAULT FALSE,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Running engines and their latest heartbeat (database clock).
CREATE TABLE errand_nodes (
  id           TEXT        PRIMARY KEY,
  host         TEXT        NOT NULL,
  pid          BIGINT      NOT NULL,
  started_at   TIMESTAMPTZ NOT NULL,
  heartbeat_at TIMESTAMPTZ NOT NULL,
  queue_names  TEXT[]      NOT NULL DEFAULT '{}',
  queue_slots  INTEGER[]   NOT NULL DEFAULT '{}'
);
