-- One-click unsubscribe links (RFC 8058) in notification mails: each turns
-- off one category's email for one person in one organisation.
CREATE TABLE unsubscribe_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    category   TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX unsubscribe_tokens_by_age ON unsubscribe_tokens (created_at);
