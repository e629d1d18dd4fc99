-- Images an organisation uploaded (product photos, pictures placed in
-- designs), checked by content when received. The original is kept as sent;
-- a preview copy (at most 1600 px) and a thumbnail (at most 320 px) are made
-- once, so previews never decode a 12-megapixel photo.
CREATE TABLE images (
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    hash         TEXT NOT NULL,
    mime         TEXT NOT NULL,
    width        INTEGER NOT NULL CHECK (width > 0),
    height       INTEGER NOT NULL CHECK (height > 0),
    preview_hash TEXT NOT NULL,
    thumb_hash   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, hash)
) STRICT, WITHOUT ROWID;
