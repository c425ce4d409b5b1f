-- Safety, the DSMB's part: the adverse events a DLT assessment points at, the stopping rules
-- that fired (each firing with the events that fired it), and the DSMB's signed decisions.
--
-- Event ids are kept as a comma-separated list in id order: a firing and a decision are
-- compared as sets of events, never joined row by row.

-- The adverse events that make a DLT assessment a DLT (Phase I).
CREATE TABLE dlt_events (
    participant_id  INTEGER NOT NULL REFERENCES dlt_assessments (participant_id),
    ae_id           INTEGER NOT NULL REFERENCES adverse_events (id),
    PRIMARY KEY (participant_id, ae_id)
);

-- A stopping rule that fired on an adverse event's save: a new row whenever the rule fires on
-- an event its last firing did not name. Dosing and enrolment are refused while the latest
-- firing of a rule has no signed DSMB decision that resumes the study.
CREATE TABLE stopping_rule_firings (
    id          INTEGER PRIMARY KEY,
    study_id    TEXT NOT NULL REFERENCES studies (id),
    rule_id     TEXT NOT NULL,
    ae_ids      TEXT NOT NULL,
    message     TEXT NOT NULL,
    fired_at    TEXT NOT NULL,
    fired_by    TEXT NOT NULL
);
CREATE INDEX stopping_rule_firings_study ON stopping_rule_firings (study_id, rule_id);

-- A DSMB member's signed decision on a firing (the events it reviewed are the firing's).
CREATE TABLE dsmb_decisions (
    id              INTEGER PRIMARY KEY,
    study_id        TEXT NOT NULL REFERENCES studies (id),
    firing_id       INTEGER NOT NULL REFERENCES stopping_rule_firings (id),
    rule_id         TEXT NOT NULL,
    ae_ids          TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    rationale       TEXT NOT NULL,
    signer_user_id  INTEGER NOT NULL REFERENCES users (id),
    signer_name     TEXT NOT NULL,
    signed_at       TEXT NOT NULL
);
CREATE INDEX dsmb_decisions_study ON dsmb_decisions (study_id, rule_id);
