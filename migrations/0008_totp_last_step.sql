-- The last TOTP time step accepted for a user, so a code cannot be used twice.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
