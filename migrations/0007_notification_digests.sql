-- Digests: a person may get one mail a day or a week instead of one per
-- non-critical notification.
CREATE TABLE notification_digests (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    frequency    TEXT NOT NULL CHECK (frequency IN ('off', 'daily', 'weekly')),
    last_sent_at INTEGER,
    PRIMARY KEY (user_id, org_id)
) STRICT;
