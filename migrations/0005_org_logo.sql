-- An organisation's logo: the SHA-256 of a stored file (DATA_DIR/files).
ALTER TABLE orgs ADD COLUMN logo_file TEXT;
