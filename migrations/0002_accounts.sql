-- Accounts, organisations, roles, memberships, sessions, one-time mail
-- tokens, API tokens, instance settings and the audit log.

CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    email             TEXT NOT NULL COLLATE NOCASE UNIQUE,
    name              TEXT NOT NULL,
    password_hash     TEXT,
    language          TEXT,
    email_verified_at INTEGER,
    is_instance_admin INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    last_active_at    INTEGER
) STRICT;

CREATE TABLE orgs (
    id                   TEXT PRIMARY KEY,
    slug                 TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    default_language     TEXT NOT NULL DEFAULT 'en',
    time_zone            TEXT NOT NULL DEFAULT 'UTC',
    currency             TEXT NOT NULL DEFAULT 'EUR',
    seat_limit           INTEGER,
    audit_retention_days INTEGER NOT NULL DEFAULT 365,
    created_at           INTEGER NOT NULL
) STRICT;

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    builtin     INTEGER NOT NULL DEFAULT 0,
    permissions TEXT NOT NULL,
    UNIQUE (org_id, key)
) STRICT;

CREATE TABLE memberships (
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id        TEXT NOT NULL REFERENCES roles (id),
    created_at     INTEGER NOT NULL,
    last_active_at INTEGER,
    PRIMARY KEY (org_id, user_id)
) STRICT;
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id       TEXT REFERENCES orgs (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    ip           TEXT,
    user_agent   TEXT
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE mail_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;
CREATE INDEX mail_tokens_by_user ON mail_tokens (user_id, purpose);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER
) STRICT;
CREATE INDEX api_tokens_by_org ON api_tokens (org_id, user_id);

CREATE TABLE instance_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    org_id      TEXT,
    occurred_at INTEGER NOT NULL,
    actor_type  TEXT NOT NULL CHECK (actor_type IN ('user', 'api_token', 'system')),
    actor_id    TEXT,
    actor_label TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT,
    target_id   TEXT,
    ip          TEXT,
    user_agent  TEXT,
    metadata    TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX audit_by_org_time ON audit_log (org_id, occurred_at);
CREATE INDEX audit_by_org_action ON audit_log (org_id, action, occurred_at);
