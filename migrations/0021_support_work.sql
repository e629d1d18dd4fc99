-- The team's tools on the ticket list: tags on tickets, saved views of the
-- list (a member's own, or shared with the team) and canned replies.
CREATE TABLE support_ticket_tags (
    ticket_id TEXT NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    -- Lower case, words joined by `-`: `gift-wrap`, `vip`.
    tag       TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
) STRICT, WITHOUT ROWID;
CREATE INDEX support_ticket_tags_tag ON support_ticket_tags (tag, ticket_id);

CREATE TABLE support_views (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    -- Whose it is; none: shared with the team.
    user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    -- The list's query string, rebuilt from the filters it read
    -- (`status=open&tag=vip&sort=priority`).
    query      TEXT NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX support_views_org ON support_views (org_id, name);

CREATE TABLE support_canned_replies (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    -- With {{requester_name}}, {{ticket_number}}, {{subject}}, {{agent_name}}, {{org_name}}.
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (org_id, title)
) STRICT;
