-- The catalogue: an organisation's products that customers personalise.
-- (Variants, images and print areas come in their own tables.)
CREATE TABLE catalog_products (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    -- In the storefront's addresses: /s/{org}/p/{slug}.
    slug            TEXT NOT NULL,
    sku             TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
    -- Integer minor units of `currency` (ISO 4217): 1990 EUR is 19.90 €.
    price_minor     INTEGER NOT NULL CHECK (price_minor >= 0),
    currency        TEXT NOT NULL,
    -- Working days from an order to its shipping.
    production_days INTEGER NOT NULL DEFAULT 3 CHECK (production_days BETWEEN 0 AND 365),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (org_id, slug)
) STRICT;
CREATE UNIQUE INDEX catalog_products_sku ON catalog_products (org_id, sku) WHERE sku <> '';
CREATE INDEX catalog_products_list ON catalog_products (org_id, status, name);

-- Search by name, SKU and description (same tokenizer and prefixes as support's).
CREATE VIRTUAL TABLE catalog_products_search USING fts5(
    name, sku, description, content = 'catalog_products', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6'
);
CREATE TRIGGER catalog_products_ai AFTER INSERT ON catalog_products BEGIN
    INSERT INTO catalog_products_search (rowid, name, sku, description) VALUES (new.rowid, new.name, new.sku, new.description);
END;
CREATE TRIGGER catalog_products_ad AFTER DELETE ON catalog_products BEGIN
    INSERT INTO catalog_products_search (catalog_products_search, rowid, name, sku, description)
    VALUES ('delete', old.rowid, old.name, old.sku, old.description);
END;
CREATE TRIGGER catalog_products_au AFTER UPDATE OF name, sku, description ON catalog_products BEGIN
    INSERT INTO catalog_products_search (catalog_products_search, rowid, name, sku, description)
    VALUES ('delete', old.rowid, old.name, old.sku, old.description);
    INSERT INTO catalog_products_search (rowid, name, sku, description) VALUES (new.rowid, new.name, new.sku, new.description);
END;
