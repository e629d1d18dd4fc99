-- A change of address waiting for its confirmation: the link mailed to the
-- new address carries a token whose hash is kept here (one pending change
-- per person; a new request replaces it).
CREATE TABLE email_changes (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    new_email  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
