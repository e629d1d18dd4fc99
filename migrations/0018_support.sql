-- Support desk: an organisation's ticket categories, its tickets (numbered
-- per org), their conversation (replies and internal notes) and their
-- timeline of changes.

CREATE TABLE support_categories (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    -- In the help centre's addresses: /help/{org}/categories/{slug}.
    slug             TEXT NOT NULL,
    -- New tickets of this category go to this member (else to the team).
    default_assignee TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (org_id, name),
    UNIQUE (org_id, slug)
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
    -- When the service levels want the first response and the resolution
    -- (business hours of the org), and whether the job found them late.
    first_response_due_at   INTEGER,
    resolution_due_at       INTEGER,
    first_response_breached INTEGER NOT NULL DEFAULT 0,
    resolution_breached     INTEGER NOT NULL DEFAULT 0,
    -- Most urgent first: 0 urgent … 3 low (what "sort by priority" orders by).
    priority_rank     INTEGER GENERATED ALWAYS AS
                      (CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END) VIRTUAL,
    UNIQUE (org_id, number)
) STRICT;
CREATE INDEX support_tickets_list ON support_tickets (org_id, status, updated_at);
CREATE INDEX support_tickets_recent ON support_tickets (org_id, updated_at);
CREATE INDEX support_tickets_urgent ON support_tickets (org_id, status, priority_rank, updated_at);
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

CREATE INDEX support_tickets_due ON support_tickets (resolution_due_at) WHERE status NOT IN ('resolved', 'closed');

-- An organisation's service levels (defaults until it saves its own):
-- business hours in its time zone, and per priority the business minutes
-- to the first response and to the resolution.
CREATE TABLE support_sla (
    org_id         TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    -- ISO weekdays worked: 1 Monday … 7 Sunday.
    work_days      TEXT NOT NULL,
    opens_minute   INTEGER NOT NULL,
    closes_minute  INTEGER NOT NULL CHECK (closes_minute > opens_minute),
    first_low      INTEGER NOT NULL,
    first_medium   INTEGER NOT NULL,
    first_high     INTEGER NOT NULL,
    first_urgent   INTEGER NOT NULL,
    resolve_low    INTEGER NOT NULL,
    resolve_medium INTEGER NOT NULL,
    resolve_high   INTEGER NOT NULL,
    resolve_urgent INTEGER NOT NULL
) STRICT;

-- The knowledge base: articles in Markdown, one language each, in the
-- ticket categories, searched through an FTS5 index kept by triggers.
CREATE TABLE support_kb_articles (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    category_id TEXT REFERENCES support_categories (id) ON DELETE SET NULL,
    slug        TEXT NOT NULL,
    lang        TEXT NOT NULL CHECK (lang IN ('en', 'fr')),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    visibility  TEXT NOT NULL CHECK (visibility IN ('public', 'members')),
    views       INTEGER NOT NULL DEFAULT 0,
    helpful_yes INTEGER NOT NULL DEFAULT 0,
    helpful_no  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (org_id, lang, slug)
) STRICT;
CREATE INDEX support_kb_articles_category ON support_kb_articles (org_id, category_id, title);

CREATE VIRTUAL TABLE support_kb_search USING fts5(
    title, body, content = 'support_kb_articles', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
-- Ranking: BM25 with the title weighing eight times the body; `ORDER BY
-- rank` lets FTS5 sort the matches itself.
INSERT INTO support_kb_search (support_kb_search, rank) VALUES ('rank', 'bm25(8.0, 1.0)');
CREATE TRIGGER support_kb_articles_ai AFTER INSERT ON support_kb_articles BEGIN
    INSERT INTO support_kb_search (rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
CREATE TRIGGER support_kb_articles_ad AFTER DELETE ON support_kb_articles BEGIN
    INSERT INTO support_kb_search (support_kb_search, rowid, title, body) VALUES ('delete', old.rowid, old.title, old.body);
END;
CREATE TRIGGER support_kb_articles_au AFTER UPDATE OF title, body ON support_kb_articles BEGIN
    INSERT INTO support_kb_search (support_kb_search, rowid, title, body) VALUES ('delete', old.rowid, old.title, old.body);
    INSERT INTO support_kb_search (rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;

-- Mail in: each organisation's secret for its inbound address, and the
-- Message-IDs already taken in (the same mail posted twice lands once).
CREATE TABLE support_inbound (
    org_id     TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    secret     TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE support_mail_seen (
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    -- The ticket it went to (none: an auto-reply or a bounce, dropped).
    ticket_id  TEXT REFERENCES support_tickets (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    PRIMARY KEY (org_id, message_id)
) STRICT, WITHOUT ROWID;
