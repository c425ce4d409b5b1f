-- Data queries: raised on a field of a visit's form, answered by the site, closed or re-opened
-- by whoever raised it. Every event is in the audit trail.
CREATE TABLE queries (
    id              INTEGER PRIMARY KEY,
    participant_id  INTEGER NOT NULL REFERENCES participants (id),
    visit_id        TEXT NOT NULL,
    form_id         TEXT NOT NULL,
    field           TEXT NOT NULL,
    status          TEXT NOT NULL,
    text            TEXT NOT NULL,
    raised_by       TEXT NOT NULL,
    raised_by_id    INTEGER,
    raised_at       TEXT NOT NULL,
    answer          TEXT,
    answered_by     TEXT,
    answered_at     TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX queries_participant ON queries (participant_id, status);
