-- Two-factor authentication (TOTP) with recovery codes; orgs may require it.

ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at INTEGER;
ALTER TABLE orgs ADD COLUMN require_2fa INTEGER NOT NULL DEFAULT 0;

CREATE TABLE recovery_codes (
    code_hash TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    used_at   INTEGER
) STRICT;

CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);
