-- Safety, the serious adverse event as a case: the site's awareness and report, the sponsor's
-- first knowledge and assessment (kept beside the investigator's, which stays in
-- adverse_events), the expedited reports to the authorities, and the notices sent about the
-- reporting clocks (each once).
CREATE TABLE safety_cases (
    ae_id                INTEGER PRIMARY KEY REFERENCES adverse_events (id),
    site_aware_at        TEXT,
    site_reported_at     TEXT,
    site_reported_by     TEXT,
    first_known_at       TEXT,
    sponsor_causality    TEXT,
    sponsor_expectedness TEXT,
    assessed_by          TEXT,
    assessed_at          TEXT
);

-- An expedited report as pharmacovigilance submitted it: version 1 to an authority is the
-- initial report, the later ones its follow-ups; `answers` is the clock kind it closed.
CREATE TABLE expedited_reports (
    id              INTEGER PRIMARY KEY,
    ae_id           INTEGER NOT NULL REFERENCES adverse_events (id),
    authority       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    answers         TEXT,
    submitted_at    TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    UNIQUE (ae_id, authority, version)
);

-- The notices sent about a clock (`started`, `reminder`), once each.
CREATE TABLE safety_notices (
    ae_id   INTEGER NOT NULL REFERENCES adverse_events (id),
    clock   TEXT NOT NULL,
    notice  TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (ae_id, clock, notice)
);
