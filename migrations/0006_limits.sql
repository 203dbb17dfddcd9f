-- Retention for the ids of applied usage batches.

-- Applied batch ids are pruned after a retention far longer than any retry; the flush
-- loop deletes by age.
CREATE INDEX usage_batches_flushed_at ON usage_batches (flushed_at);
