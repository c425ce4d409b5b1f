-- The database lock of a study (issue #18) and the study's unblinding after it: one row per
-- locked study. The lock is signed (the signer's printed name) and bound to the head of the
-- study's audit chain when it was signed; while a row is here the store refuses every write
-- to the study but the records of reading, exporting and analysing (trial::lock::AFTER_LOCK).
CREATE TABLE study_locks (
    study_id        TEXT PRIMARY KEY REFERENCES studies (id),
    locked_at       TEXT NOT NULL,
    locked_by       INTEGER NOT NULL REFERENCES users (id),
    locker_name     TEXT NOT NULL,
    audit_seq       INTEGER NOT NULL,
    audit_hash      TEXT NOT NULL,
    unblinded_at    TEXT,
    unblinded_by    INTEGER REFERENCES users (id),
    unblinder_name  TEXT,
    unblind_reason  TEXT
);
