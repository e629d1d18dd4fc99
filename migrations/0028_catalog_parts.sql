-- A product's variants (size, colour…: each its SKU, price delta, stock)
-- and its print areas (the sides a customer personalises), in order.
CREATE TABLE catalog_variants (
    id                TEXT PRIMARY KEY,
    product_id        TEXT NOT NULL REFERENCES catalog_products (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    sku               TEXT NOT NULL DEFAULT '',
    -- Added to the product's price, minor units (may be negative).
    price_delta_minor INTEGER NOT NULL DEFAULT 0,
    -- None: not counted.
    stock             INTEGER CHECK (stock >= 0),
    position          INTEGER NOT NULL
) STRICT;
CREATE INDEX catalog_variants_product ON catalog_variants (product_id, position);

CREATE TABLE catalog_print_areas (
    id              TEXT PRIMARY KEY,
    product_id      TEXT NOT NULL REFERENCES catalog_products (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    -- The printed size, and the margins: bleed outside, safe zone inside.
    width_mm        REAL NOT NULL CHECK (width_mm > 0),
    height_mm       REAL NOT NULL CHECK (height_mm > 0),
    bleed_mm        REAL NOT NULL DEFAULT 3 CHECK (bleed_mm >= 0),
    safe_mm         REAL NOT NULL DEFAULT 3 CHECK (safe_mm >= 0),
    dpi             INTEGER NOT NULL DEFAULT 300 CHECK (dpi BETWEEN 72 AND 2400),
    -- Where it sits over the mockup image, as fractions of the image (0–1).
    mockup_x        REAL NOT NULL DEFAULT 0.25,
    mockup_y        REAL NOT NULL DEFAULT 0.25,
    mockup_width    REAL NOT NULL DEFAULT 0.5,
    -- JSON arrays: element kinds allowed (text, image, shape), fonts and
    -- colours allowed (empty: any).
    kinds           TEXT NOT NULL DEFAULT '["text","image","shape"]',
    fonts           TEXT NOT NULL DEFAULT '[]',
    colours         TEXT NOT NULL DEFAULT '[]',
    max_text_length INTEGER CHECK (max_text_length > 0),
    required        INTEGER NOT NULL DEFAULT 0,
    position        INTEGER NOT NULL
) STRICT;
CREATE INDEX catalog_print_areas_product ON catalog_print_areas (product_id, position);
