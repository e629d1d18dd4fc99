-- Fonts an organisation uploaded (TTF/OTF, checked by parsing), used by the
-- editor and by rendering; named by the font's own full name unless the
-- shop gave another. The open-licence fonts shipped in the binary are not
-- rows: they are available to every org.
CREATE TABLE fonts (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    family     TEXT NOT NULL,
    style      TEXT NOT NULL,
    format     TEXT NOT NULL CHECK (format IN ('ttf', 'otf')),
    hash       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    glyphs     INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (org_id, name)
) STRICT;
