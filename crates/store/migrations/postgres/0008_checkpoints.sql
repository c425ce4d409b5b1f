-- Signed audit checkpoints are also sent by e-mail to the sponsor's QA address, which is a plain
-- address, not an account: an outbox row may name a recipient without a user (study_id '' for a
-- message of no study). Accounts get an e-mail address, empty until set.
ALTER TABLE outbox ALTER COLUMN recipient_user_id DROP NOT NULL;

ALTER TABLE users ADD COLUMN email TEXT;
