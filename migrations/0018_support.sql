-- Support desk: an organisation's ticket categories, its tickets (numbered
-- per org), their conversation (replies and internal notes) and their
-- timeline of changes.

CREATE TABLE support_categories (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    -- New tickets of this category go to this member (else to the team).
    default_assignee TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (org_id, name)
) STRICT;

CREATE TABLE support_tickets (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    -- Human-friendly, per org: #1, #2, …
    number            INTEGER NOT NULL,
    subject           TEXT NOT NULL,
    description       TEXT NOT NULL,
    category_id       TEXT REFERENCES support_categories (id) ON DELETE SET NULL,
    priority          TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    status            TEXT NOT NULL DEFAULT 'open'
                      CHECK (status IN ('open', 'pending_customer', 'in_progress', 'resolved', 'closed')),
    -- Who asked: a customer by address, or a member (then also their id).
    requester_email   TEXT NOT NULL,
    requester_name    TEXT NOT NULL DEFAULT '',
    requester_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    -- The language the requester's mails and pages are in.
    requester_lang    TEXT NOT NULL DEFAULT 'en',
    assignee_id       TEXT REFERENCES users (id) ON DELETE SET NULL,
    -- An order's reference as typed (linked to the order once orders exist).
    order_ref         TEXT,
    -- The unguessable token of the requester's private link (kept, not
    -- hashed: every mail to the requester carries the link again).
    access_token      TEXT NOT NULL UNIQUE,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    first_response_at INTEGER,
    resolved_at       INTEGER,
    closed_at         INTEGER,
    UNIQUE (org_id, number)
) STRICT;
CREATE INDEX support_tickets_list ON support_tickets (org_id, status, updated_at);
CREATE INDEX support_tickets_assignee ON support_tickets (org_id, assignee_id, status);

CREATE TABLE support_messages (
    id         TEXT PRIMARY KEY,
    ticket_id  TEXT NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    -- `requester` (by mail or the private link) or `member`.
    author     TEXT NOT NULL CHECK (author IN ('requester', 'member')),
    user_id    TEXT REFERENCES users (id) ON DELETE SET NULL,
    body       TEXT NOT NULL,
    -- An internal note: members only, never shown or mailed to the requester.
    internal   INTEGER NOT NULL DEFAULT 0 CHECK (internal = 0 OR author = 'member'),
    -- The Message-ID it was mailed with, or arrived with.
    mail_id    TEXT UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX support_messages_ticket ON support_messages (ticket_id, created_at);

CREATE TABLE support_events (
    ticket_id TEXT NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    user_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
    -- `status`, `priority`, `assignee` or `category`.
    field     TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT
) STRICT;
CREATE INDEX support_events_ticket ON support_events (ticket_id, at);
