-- Who holds a message's lease: a random token per claim. Renewing the lease and recording
-- the outcome require it, so a worker whose lease passed to another records nothing.
ALTER TABLE outbox ADD COLUMN claim_token TEXT;
