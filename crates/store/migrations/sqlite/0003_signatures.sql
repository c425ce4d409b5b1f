-- Source data verification and locking of form entries, and electronic signatures of visits
-- (21 CFR 11.50, 11.70, 11.200). A signature is bound to the SHA-256 of exactly the data it
-- signed (the visit's saved forms, canonical JSON); a later change voids it, with the change.
ALTER TABLE form_entries ADD COLUMN verified_by TEXT;
ALTER TABLE form_entries ADD COLUMN verified_at TEXT;
ALTER TABLE form_entries ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;

CREATE TABLE signatures (
    id              INTEGER PRIMARY KEY,
    participant_id  INTEGER NOT NULL REFERENCES participants (id),
    visit_id        TEXT NOT NULL,
    meaning         TEXT NOT NULL,
    signer_user_id  INTEGER NOT NULL REFERENCES users (id),
    signer_name     TEXT NOT NULL,
    signed_at       TEXT NOT NULL,
    data_hash       TEXT NOT NULL,
    void_at         TEXT,
    void_reason     TEXT
);
CREATE INDEX signatures_visit ON signatures (participant_id, visit_id);
