-- Core tables: studies, sites, people and access, participants, visits, the audit trail.
-- Instants are UTC text (YYYY-MM-DDTHH:MM:SS.ffffffZ); dates are YYYY-MM-DD; flags are 0/1.

CREATE TABLE studies (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    definition  TEXT NOT NULL,
    loaded_at   TEXT NOT NULL
);

CREATE TABLE sites (
    study_id    TEXT NOT NULL REFERENCES studies (id),
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    PRIMARY KEY (study_id, id)
);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    full_name       TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    language        TEXT NOT NULL DEFAULT 'en',
    created_at      TEXT NOT NULL
);

-- A study-wide role has site_id ''.
CREATE TABLE role_assignments (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    study_id    TEXT NOT NULL REFERENCES studies (id),
    role        TEXT NOT NULL,
    site_id     TEXT NOT NULL DEFAULT '',
    UNIQUE (user_id, study_id, role, site_id)
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    last_seen   TEXT NOT NULL
);

CREATE TABLE participants (
    id                   INTEGER PRIMARY KEY,
    study_id             TEXT NOT NULL,
    site_id              TEXT NOT NULL,
    screening_number     TEXT NOT NULL,
    subject_id           TEXT,
    status               TEXT NOT NULL,
    sex                  TEXT NOT NULL,
    date_of_birth        TEXT NOT NULL,
    injury_date          TEXT NOT NULL,
    consent_date         TEXT NOT NULL,
    screening_date       TEXT NOT NULL,
    eligible             INTEGER NOT NULL,
    eligibility_reasons  TEXT NOT NULL,
    enrolled_on          TEXT,
    anchor_date          TEXT,
    ended_on             TEXT,
    end_reason           TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (study_id, screening_number),
    UNIQUE (study_id, subject_id),
    FOREIGN KEY (study_id, site_id) REFERENCES sites (study_id, id)
);
CREATE INDEX participants_site ON participants (study_id, site_id);

-- An ISNCSCI exam as entered (flat layout, JSON) with the classification the engine computed.
CREATE TABLE exams (
    id              INTEGER PRIMARY KEY,
    participant_id  INTEGER NOT NULL REFERENCES participants (id),
    visit_id        TEXT NOT NULL,
    examined_on     TEXT NOT NULL,
    raw             TEXT NOT NULL,
    classification  TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX exams_participant ON exams (participant_id);

CREATE TABLE visits (
    participant_id  INTEGER NOT NULL REFERENCES participants (id),
    visit_id        TEXT NOT NULL,
    name            TEXT NOT NULL,
    target          TEXT NOT NULL,
    earliest        TEXT NOT NULL,
    latest          TEXT NOT NULL,
    done_on         TEXT,
    PRIMARY KEY (participant_id, visit_id)
);

-- The audit trail: one hash chain per study (and 'system' for accounts and logins).
CREATE TABLE audit_heads (
    chain   TEXT PRIMARY KEY,
    seq     INTEGER NOT NULL,
    hash    TEXT NOT NULL
);

CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    chain       TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    user_id     INTEGER,
    username    TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    field       TEXT,
    old_value   TEXT,
    new_value   TEXT,
    reason      TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    UNIQUE (chain, seq)
);
CREATE INDEX audit_record ON audit (entity, record_id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
