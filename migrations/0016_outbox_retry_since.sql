-- Deliveries are retried for a lifetime (outbox_retry_hours) counted from
-- here: the row's creation, or the moment it was replayed.
ALTER TABLE outbox ADD COLUMN retry_since INTEGER;
