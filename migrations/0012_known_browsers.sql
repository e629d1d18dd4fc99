-- The browsers each person has signed in from (by user agent), so a sign-in
-- from a new one can be told to them. Kept apart from the audit log, whose
-- retention would otherwise make every browser look new (or nobody look
-- like they signed in before). Purged a year after a browser was last seen.

CREATE TABLE known_browsers (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (user_id, user_agent)
) STRICT, WITHOUT ROWID;

CREATE INDEX known_browsers_last_seen ON known_browsers (last_seen);

INSERT OR IGNORE INTO known_browsers (user_id, user_agent, first_seen, last_seen)
SELECT actor_id, coalesce(user_agent, ''), min(occurred_at), max(occurred_at)
FROM audit_log
WHERE action = 'user.signed_in' AND actor_type = 'user' AND actor_id IN (SELECT id FROM users)
GROUP BY actor_id, coalesce(user_agent, '');
