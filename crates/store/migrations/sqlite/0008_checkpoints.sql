-- Signed audit checkpoints are also sent by e-mail to the sponsor's QA address, which is a plain
-- address, not an account: an outbox row may name a recipient without a user (study_id '' for a
-- message of no study). SQLite cannot drop NOT NULL in place, so the table is rebuilt with its
-- rows (no other table refers to it). Accounts get an e-mail address, empty until set.
CREATE TABLE outbox_new (
    id                  INTEGER PRIMARY KEY,
    study_id            TEXT NOT NULL,
    recipient_user_id   INTEGER REFERENCES users (id),
    recipient           TEXT NOT NULL,
    subject             TEXT NOT NULL,
    body                TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    sent_at             TEXT
);
INSERT INTO outbox_new (id, study_id, recipient_user_id, recipient, subject, body, created_at, sent_at)
    SELECT id, study_id, recipient_user_id, recipient, subject, body, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;

ALTER TABLE users ADD COLUMN email TEXT;
