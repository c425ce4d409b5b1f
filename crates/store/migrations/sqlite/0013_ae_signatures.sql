-- The investigator's electronic signature of an adverse event's assessment (21 CFR 11.50,
-- 11.70, 11.200), as for visits: the printed name, the UTC time, the meaning, and the SHA-256
-- of exactly the event signed (`trial::safety::AdverseEvent::signed_hash`). A later change of
-- the event voids it, with the change; an event has any number of signatures over its history.
CREATE TABLE ae_signatures (
    id                  INTEGER PRIMARY KEY,
    adverse_event_id    INTEGER NOT NULL REFERENCES adverse_events (id),
    meaning             TEXT NOT NULL,
    signer_user_id      INTEGER NOT NULL REFERENCES users (id),
    signer_name         TEXT NOT NULL,
    signed_at           TEXT NOT NULL,
    data_hash           TEXT NOT NULL,
    void_at             TEXT,
    void_reason         TEXT
);
CREATE INDEX ae_signatures_event ON ae_signatures (adverse_event_id);
