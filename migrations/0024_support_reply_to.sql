-- The address a support desk's mails ask replies to go to (the mailbox that
-- is forwarded to the inbound address); `{ticket}` in it stands for the
-- ticket's number (sub-addressing: support+{ticket}@shop.example).
ALTER TABLE support_inbound ADD COLUMN reply_to TEXT;
