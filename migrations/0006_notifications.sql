-- Notifications: the in-app inbox, each person's channel preferences per
-- category, and the deliveries made for each notification.

CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    category    TEXT NOT NULL,
    data        TEXT NOT NULL,
    link        TEXT,
    in_app      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER,
    archived_at INTEGER
) STRICT;
CREATE INDEX notifications_inbox ON notifications (org_id, user_id, created_at);
CREATE INDEX notifications_unread ON notifications (org_id, user_id, read_at);

CREATE TABLE notification_prefs (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id   TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    channel  TEXT NOT NULL CHECK (channel IN ('in_app', 'email')),
    enabled  INTEGER NOT NULL,
    PRIMARY KEY (user_id, org_id, category, channel)
) STRICT;

CREATE TABLE notification_deliveries (
    notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,
    outbox_id       TEXT NOT NULL,
    PRIMARY KEY (notification_id, channel)
) STRICT;
