-- The end of a ticket's life: the requester's rating from the resolution
-- mail, the resolution clock stopped while the ticket waits for the
-- customer, and the days after which a resolved ticket closes by itself.
ALTER TABLE support_tickets ADD COLUMN satisfaction TEXT CHECK (satisfaction IN ('good', 'bad'));
ALTER TABLE support_tickets ADD COLUMN satisfaction_comment TEXT;
ALTER TABLE support_tickets ADD COLUMN rated_at INTEGER;
-- Since when it waits for the customer (none: it does not).
ALTER TABLE support_tickets ADD COLUMN pending_since INTEGER;
-- Business seconds spent waiting for the customer, added to the resolution target.
ALTER TABLE support_tickets ADD COLUMN paused_secs INTEGER NOT NULL DEFAULT 0;
-- 0: resolved tickets stay resolved.
ALTER TABLE support_sla ADD COLUMN auto_close_days INTEGER NOT NULL DEFAULT 7;
CREATE INDEX support_tickets_resolved ON support_tickets (resolved_at) WHERE status = 'resolved';
UPDATE support_tickets SET pending_since = updated_at WHERE status = 'pending_customer';
