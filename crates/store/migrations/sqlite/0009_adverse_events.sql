-- Safety, first part: the terms adverse events are coded with, and the adverse events.
--
-- The terms (CTCAE v5.0, or a licensee's MedDRA terms) are one table for the whole
-- installation: the dictionary is published once and shared by every study, and an adverse
-- event copies its term's name, code and system organ class, so loading the terms again never
-- changes a recorded event. `position` keeps the file's order; `name_key` (the name in lower
-- case) makes a name appear once, as the term table finds names ignoring case.
CREATE TABLE ae_terms (
    position        INTEGER PRIMARY KEY,
    code            TEXT NOT NULL,
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL UNIQUE,
    soc             TEXT NOT NULL,
    grade_1         TEXT,
    grade_2         TEXT,
    grade_3         TEXT,
    grade_4         TEXT,
    grade_5         TEXT,
    definition      TEXT
);

-- An adverse event of a participant (the site is the participant's). Onset and end are partial
-- dates as sites record them (YYYY, YYYY-MM or YYYY-MM-DD), so they are text on both databases;
-- the seriousness criteria are a comma-separated list of their words.
CREATE TABLE adverse_events (
    id                  INTEGER PRIMARY KEY,
    participant_id      INTEGER NOT NULL REFERENCES participants (id),
    verbatim            TEXT NOT NULL,
    term                TEXT NOT NULL,
    meddra_code         TEXT NOT NULL,
    soc                 TEXT NOT NULL,
    onset_partial       TEXT NOT NULL,
    end_partial         TEXT,
    grade               INTEGER NOT NULL,
    seriousness         TEXT NOT NULL,
    causality_product   TEXT NOT NULL,
    causality_procedure TEXT NOT NULL,
    action              TEXT NOT NULL,
    outcome             TEXT NOT NULL,
    recorded_by         TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX adverse_events_participant ON adverse_events (participant_id);
