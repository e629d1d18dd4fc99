-- Invitations to join an organisation with a role, by a single-use link.

CREATE TABLE invitations (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email        TEXT NOT NULL COLLATE NOCASE,
    role_id      TEXT NOT NULL REFERENCES roles (id),
    token_hash   TEXT NOT NULL UNIQUE,
    invited_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    last_sent_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    accepted_at  INTEGER,
    revoked_at   INTEGER
) STRICT;

CREATE INDEX invitations_by_org ON invitations (org_id, created_at);
CREATE INDEX invitations_by_email ON invitations (org_id, email);
