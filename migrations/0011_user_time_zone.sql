-- A person's own time zone for the times pages show; '' = the organisation's.
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
