-- Messages sent on someone's behalf (a directory contact) name them as Reply-To, so Reply reaches them.
ALTER TABLE outbox ADD COLUMN reply_to TEXT;
