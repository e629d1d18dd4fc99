-- Files attached to a ticket: to its opening (no message) or to one of its
-- messages (those of internal notes are members only). The bytes are in
-- the content-addressed store (DATA_DIR/files), named by `file_hash`.
CREATE TABLE support_attachments (
    id         TEXT PRIMARY KEY,
    ticket_id  TEXT NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    message_id TEXT REFERENCES support_messages (id) ON DELETE CASCADE,
    -- As the sender named it (folders and control characters removed).
    name       TEXT NOT NULL,
    -- Found from the content, never from the name.
    mime       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    file_hash  TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX support_attachments_ticket ON support_attachments (ticket_id, created_at);
