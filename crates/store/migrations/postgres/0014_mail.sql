-- The outbox is sent over SMTP: each message keeps its attempts, the error of the last failed
-- one and when to try again (the wait doubles, `trial::mail`), and when it was given up after
-- the last allowed attempt (failed for good). A message is pending while neither `sent_at` nor
-- `failed_at` is set.
ALTER TABLE outbox
    ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN last_error TEXT,
    ADD COLUMN next_attempt_at TIMESTAMPTZ,
    ADD COLUMN failed_at TIMESTAMPTZ;
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL AND failed_at IS NULL;
