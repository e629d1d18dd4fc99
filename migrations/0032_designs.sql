-- Designs: a customer's personalisation of a product (and a variant) as a
-- JSON document (docs/DESIGN_FORMAT.md), with a private link and a state.
CREATE TABLE designs (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES catalog_products (id) ON DELETE CASCADE,
    variant_id TEXT,
    name       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'approved')),
    -- The current version's number and document (also in design_versions).
    version    INTEGER NOT NULL,
    document   TEXT NOT NULL,
    -- The customer's private link (unguessable, 192 random bits).
    token      TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX designs_org ON designs (org_id, updated_at);
CREATE INDEX designs_product ON designs (product_id);

-- Every saved version (the newest 200, and every frozen one), for undo
-- across sessions, for the shop to compare, and for orders, which freeze the
-- version they were placed with.
CREATE TABLE design_versions (
    design_id TEXT NOT NULL REFERENCES designs (id) ON DELETE CASCADE,
    version   INTEGER NOT NULL,
    document  TEXT NOT NULL,
    saved_at  INTEGER NOT NULL,
    saved_by  TEXT NOT NULL,
    -- Frozen for an order: never pruned.
    frozen    INTEGER NOT NULL DEFAULT 0 CHECK (frozen IN (0, 1)),
    PRIMARY KEY (design_id, version)
) STRICT, WITHOUT ROWID;
