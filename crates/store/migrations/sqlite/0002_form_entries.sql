-- eCRF entries: one per participant, visit and form; the data is the form's values as
-- validated and normalised (with computed scores), as JSON. Every change is in the audit trail.
CREATE TABLE form_entries (
    participant_id  INTEGER NOT NULL REFERENCES participants (id),
    visit_id        TEXT NOT NULL,
    form_id         TEXT NOT NULL,
    data            TEXT NOT NULL,
    status          TEXT NOT NULL,
    version         INTEGER NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (participant_id, visit_id, form_id)
);
