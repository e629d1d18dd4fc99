-- Web push subscriptions, org default preferences, per-org mail template
-- overrides; preferences accept the push channel; a notification may have
-- several deliveries on one channel (one per browser for push).

CREATE TABLE notification_prefs_v2 (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id   TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    channel  TEXT NOT NULL CHECK (channel IN ('in_app', 'email', 'push')),
    enabled  INTEGER NOT NULL,
    PRIMARY KEY (user_id, org_id, category, channel)
) STRICT;
INSERT INTO notification_prefs_v2 SELECT user_id, org_id, category, channel, enabled FROM notification_prefs;
DROP TABLE notification_prefs;
ALTER TABLE notification_prefs_v2 RENAME TO notification_prefs;

CREATE TABLE notification_deliveries_v2 (
    notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,
    outbox_id       TEXT NOT NULL,
    PRIMARY KEY (notification_id, outbox_id)
) STRICT;
INSERT INTO notification_deliveries_v2 SELECT notification_id, channel, outbox_id FROM notification_deliveries;
DROP TABLE notification_deliveries;
ALTER TABLE notification_deliveries_v2 RENAME TO notification_deliveries;

CREATE TABLE org_notification_defaults (
    org_id   TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    channel  TEXT NOT NULL CHECK (channel IN ('in_app', 'email', 'push')),
    enabled  INTEGER NOT NULL,
    PRIMARY KEY (org_id, category, channel)
) STRICT;

CREATE TABLE push_subscriptions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint     TEXT NOT NULL UNIQUE,
    p256dh       TEXT NOT NULL,
    auth         TEXT NOT NULL,
    user_agent   TEXT,
    created_at   INTEGER NOT NULL,
    last_sent_at INTEGER
) STRICT;
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

CREATE TABLE notification_templates (
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    language   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (org_id, kind, language)
) STRICT;
