-- The spine: scheduled jobs with leases, and the outbox of everything that
-- leaves the process (mail now; webhooks and push later).

CREATE TABLE jobs (
    name             TEXT PRIMARY KEY,
    cron             TEXT NOT NULL,
    next_run_at      INTEGER NOT NULL,
    locked_by        TEXT,
    lease_until      INTEGER,
    last_run_at      INTEGER,
    last_outcome     TEXT CHECK (last_outcome IN ('ok', 'failed')),
    last_duration_ms INTEGER,
    last_message     TEXT,
    runs             INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    org_id          TEXT,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
) STRICT;

CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_org ON outbox (org_id, created_at);

CREATE TABLE outbox_attempts (
    id           INTEGER PRIMARY KEY,
    outbox_id    TEXT NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attempted_at INTEGER NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('sent', 'failed')),
    error        TEXT,
    duration_ms  INTEGER NOT NULL
) STRICT;

CREATE INDEX outbox_attempts_by_row ON outbox_attempts (outbox_id, attempted_at);
