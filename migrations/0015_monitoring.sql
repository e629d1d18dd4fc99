-- Monitoring: an organisation's health checks (HTTP, TCP, heartbeat),
-- every result they gave, the incidents (a check down, from when to when)
-- and the alerts raised for them.
CREATE TABLE monitoring_checks (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('http', 'tcp', 'push')),
    -- http: the URL and method; tcp: host and port; push: the token's hash.
    url             TEXT,
    method          TEXT NOT NULL DEFAULT 'GET',
    host            TEXT,
    port            INTEGER,
    push_token_hash TEXT UNIQUE,
    expected_status INTEGER,
    keyword         TEXT,
    max_latency_ms  INTEGER,
    interval_s      INTEGER NOT NULL CHECK (interval_s >= 5),
    timeout_s       INTEGER NOT NULL CHECK (timeout_s >= 1),
    -- Failures in a row after the first before "down"; successes in a row before "up" again.
    retries         INTEGER NOT NULL DEFAULT 1 CHECK (retries >= 0),
    recover_after   INTEGER NOT NULL DEFAULT 1 CHECK (recover_after >= 1),
    paused          INTEGER NOT NULL DEFAULT 0,
    -- Shown on the organisation's public status page.
    published       INTEGER NOT NULL DEFAULT 0,
    -- Made by an instance admin (or the demo): may reach private addresses.
    may_reach_private INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'up', 'down')),
    fails           INTEGER NOT NULL DEFAULT 0,
    passes          INTEGER NOT NULL DEFAULT 0,
    next_run_at     INTEGER NOT NULL,
    last_checked_at INTEGER,
    last_latency_ms INTEGER,
    -- The last result's message: a catalogue key and its values, as JSON.
    last_message    TEXT,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX monitoring_checks_org ON monitoring_checks (org_id, name);
CREATE INDEX monitoring_checks_due ON monitoring_checks (next_run_at) WHERE paused = 0;

CREATE TABLE monitoring_results (
    check_id   TEXT NOT NULL REFERENCES monitoring_checks (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    ok         INTEGER NOT NULL,
    latency_ms INTEGER,
    status     INTEGER,
    message    TEXT NOT NULL DEFAULT '', -- a catalogue message as JSON
    -- Taken inside a maintenance window: not counted in uptime, no alert.
    maintenance INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX monitoring_results_check ON monitoring_results (check_id, at);

CREATE TABLE monitoring_incidents (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    check_id   TEXT NOT NULL REFERENCES monitoring_checks (id) ON DELETE CASCADE,
    started_at INTEGER NOT NULL,
    ended_at   INTEGER,
    cause      TEXT NOT NULL
) STRICT;
CREATE INDEX monitoring_incidents_org ON monitoring_incidents (org_id, started_at);
CREATE UNIQUE INDEX monitoring_incidents_open ON monitoring_incidents (check_id) WHERE ended_at IS NULL;

-- Rules on the instance's metrics (instance admins): "error_rate_percent
-- > 5 for 300 s". A few are built in (outbox not stuck, disk space,
-- scheduler alive); admins add their own.
CREATE TABLE monitoring_alert_rules (
    id         TEXT PRIMARY KEY,
    metric     TEXT NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('>', '<')),
    threshold  REAL NOT NULL,
    for_s      INTEGER NOT NULL DEFAULT 0 CHECK (for_s >= 0),
    severity   TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    builtin    INTEGER NOT NULL DEFAULT 0,
    enabled    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
) STRICT;

-- An alert is about a check of an org, or (org_id and check_id NULL) about
-- a rule on the instance's metrics.
CREATE TABLE monitoring_alerts (
    id              TEXT PRIMARY KEY,
    org_id          TEXT REFERENCES orgs (id) ON DELETE CASCADE,
    check_id        TEXT REFERENCES monitoring_checks (id) ON DELETE CASCADE,
    rule_id         TEXT REFERENCES monitoring_alert_rules (id) ON DELETE CASCADE,
    incident_id     TEXT REFERENCES monitoring_incidents (id) ON DELETE SET NULL,
    rule            TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    state           TEXT NOT NULL CHECK (state IN ('firing', 'acknowledged', 'resolved')),
    message         TEXT NOT NULL,
    opened_at       INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    resolved_at     INTEGER,
    resolved_by     TEXT REFERENCES users (id) ON DELETE SET NULL,
    CHECK ((check_id IS NULL) <> (rule_id IS NULL))
) STRICT;
CREATE INDEX monitoring_alerts_org ON monitoring_alerts (org_id, opened_at);
CREATE UNIQUE INDEX monitoring_alerts_open ON monitoring_alerts (coalesce(check_id, rule_id), rule) WHERE state <> 'resolved';

-- Maintenance windows: one-off, or repeated every day or week from the
-- first one; for one check or (check_id NULL) for all of the org's.
CREATE TABLE monitoring_maintenance (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    check_id   TEXT REFERENCES monitoring_checks (id) ON DELETE CASCADE,
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL CHECK (ends_at > starts_at),
    repeat     TEXT NOT NULL DEFAULT 'none' CHECK (repeat IN ('none', 'daily', 'weekly')),
    note       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX monitoring_maintenance_org ON monitoring_maintenance (org_id, starts_at);

-- Web vitals reported by the pages people use (a sample of page views):
-- org_id is the org of a public page (its status page, later its store),
-- NULL for Luneo's own dashboard pages (the instance's).
CREATE TABLE monitoring_vitals (
    org_id TEXT REFERENCES orgs (id) ON DELETE CASCADE,
    at     INTEGER NOT NULL,
    page   TEXT NOT NULL,
    name   TEXT NOT NULL CHECK (name IN ('LCP', 'INP', 'CLS', 'TTFB', 'FCP')),
    value  REAL NOT NULL,
    device TEXT NOT NULL CHECK (device IN ('mobile', 'desktop'))
) STRICT;
CREATE INDEX monitoring_vitals_org ON monitoring_vitals (org_id, at);

-- The instance's own metrics: raw samples every 10 s (kept a day) and
-- rollups per minute (60) and hour (3600) with count, sum, min and max.
CREATE TABLE monitoring_samples (
    at    INTEGER NOT NULL,
    name  TEXT NOT NULL,
    value REAL NOT NULL
) STRICT;
CREATE INDEX monitoring_samples_name ON monitoring_samples (name, at);

CREATE TABLE monitoring_rollups (
    resolution INTEGER NOT NULL,
    bucket     INTEGER NOT NULL,
    name       TEXT NOT NULL,
    count      INTEGER NOT NULL,
    sum        REAL NOT NULL,
    min        REAL NOT NULL,
    max        REAL NOT NULL,
    PRIMARY KEY (resolution, name, bucket)
) STRICT, WITHOUT ROWID;

-- The structured log: one line per request and the application's errors
-- (linked to their request by its id); written in batches off the request
-- path, kept two weeks.
CREATE TABLE monitoring_logs (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('info', 'warn', 'error')),
    kind        TEXT NOT NULL CHECK (kind IN ('request', 'app')),
    request_id  TEXT NOT NULL,
    method      TEXT,
    route       TEXT,
    path        TEXT,
    status      INTEGER,
    duration_ms REAL,
    user_id     TEXT,
    org_id      TEXT,
    ip          TEXT,
    message     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX monitoring_logs_at ON monitoring_logs (at);
CREATE INDEX monitoring_logs_request ON monitoring_logs (request_id);

-- Each check's results rolled up per hour (kept 13 months): uptime, the
-- status page, reports and averages read these, so raw results need only
-- be kept two days. `counted` leaves out results inside maintenance.
CREATE TABLE monitoring_check_hours (
    check_id      TEXT NOT NULL REFERENCES monitoring_checks (id) ON DELETE CASCADE,
    hour          INTEGER NOT NULL,
    counted       INTEGER NOT NULL DEFAULT 0,
    good          INTEGER NOT NULL DEFAULT 0,
    latency_sum   REAL NOT NULL DEFAULT 0,
    latency_count INTEGER NOT NULL DEFAULT 0,
    latency_max   REAL,
    PRIMARY KEY (check_id, hour)
) STRICT, WITHOUT ROWID;
