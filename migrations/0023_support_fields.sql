-- A category's extra fields (asked on the help centre's form when the
-- category is chosen) and each ticket's values of them.
CREATE TABLE support_category_fields (
    id          TEXT PRIMARY KEY,
    category_id TEXT NOT NULL REFERENCES support_categories (id) ON DELETE CASCADE,
    label       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'select', 'order_ref')),
    -- A select's choices, one per line.
    options     TEXT NOT NULL DEFAULT '',
    -- Customers must fill it in.
    required    INTEGER NOT NULL DEFAULT 0,
    position    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX support_category_fields_category ON support_category_fields (category_id, position);

CREATE TABLE support_ticket_values (
    ticket_id TEXT NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    field_id  TEXT NOT NULL REFERENCES support_category_fields (id) ON DELETE CASCADE,
    value     TEXT NOT NULL,
    PRIMARY KEY (ticket_id, field_id)
) STRICT, WITHOUT ROWID;
