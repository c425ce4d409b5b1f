-- Laboratory results (trial::labs). Numbers are kept as decimal text (the shortest text that
-- reads back as the same double), in the test's own unit; the value as entered keeps its own
-- text and unit beside it.
--
-- Normal ranges are data: loaded per study from a file (replacing the study's ranges in one
-- audited write), each valid from a date to a date (or open), for a site or every site, a sex
-- or either, an age band or every age.
CREATE TABLE lab_ranges (
    id          INTEGER PRIMARY KEY,
    study_id    TEXT NOT NULL REFERENCES studies (id),
    position    INTEGER NOT NULL,
    test        TEXT NOT NULL,
    site_id     TEXT,
    sex         TEXT,
    age_min     INTEGER,
    age_max     INTEGER,
    low         TEXT NOT NULL,
    high        TEXT NOT NULL,
    starts_on   TEXT NOT NULL,
    ends_on     TEXT
);
CREATE INDEX lab_ranges_study ON lab_ranges (study_id, test);

-- A central lab's file imported: its SHA-256 once per study, so the same file is not imported
-- twice.
CREATE TABLE lab_imports (
    id          INTEGER PRIMARY KEY,
    study_id    TEXT NOT NULL REFERENCES studies (id),
    digest      TEXT NOT NULL,
    row_count   INTEGER NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (study_id, digest)
);

-- One value: as entered, in the test's unit, the range that applied, its flag and CTCAE grade
-- (computed at the write, never typed). One value per participant, test and collection time.
CREATE TABLE lab_results (
    id              INTEGER PRIMARY KEY,
    participant_id  INTEGER NOT NULL REFERENCES participants (id),
    visit_id        TEXT NOT NULL,
    test            TEXT NOT NULL,
    collected_at    TEXT NOT NULL,
    entered_value   TEXT NOT NULL,
    entered_unit    TEXT NOT NULL,
    value           TEXT NOT NULL,
    range_low       TEXT,
    range_high      TEXT,
    lab_range       TEXT,
    flag            TEXT NOT NULL,
    term            TEXT,
    grade           INTEGER,
    import_id       INTEGER REFERENCES lab_imports (id),
    recorded_by     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (participant_id, test, collected_at)
);

-- An adverse event a graded value proposes: open until the investigator accepts it (the
-- event recorded, its id here) or dismisses it with a reason.
CREATE TABLE lab_ae_proposals (
    id                  INTEGER PRIMARY KEY,
    result_id           INTEGER NOT NULL UNIQUE REFERENCES lab_results (id),
    participant_id      INTEGER NOT NULL REFERENCES participants (id),
    term                TEXT NOT NULL,
    grade               INTEGER NOT NULL,
    state               TEXT NOT NULL,
    adverse_event_id    INTEGER REFERENCES adverse_events (id),
    reason              TEXT,
    decided_by          TEXT,
    decided_at          TEXT,
    created_at          TEXT NOT NULL
);
CREATE INDEX lab_ae_proposals_participant ON lab_ae_proposals (participant_id);
