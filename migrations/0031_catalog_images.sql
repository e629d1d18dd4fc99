-- A product's photos, in order; the first is the mockup its print areas
-- are placed over. The image itself is in `images` (one per content).
CREATE TABLE catalog_images (
    id         TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES catalog_products (id) ON DELETE CASCADE,
    org_id     TEXT NOT NULL,
    hash       TEXT NOT NULL,
    alt        TEXT NOT NULL DEFAULT '',
    position   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    FOREIGN KEY (org_id, hash) REFERENCES images (org_id, hash)
) STRICT;
CREATE INDEX catalog_images_product ON catalog_images (product_id, position);
