-- Allocation in a randomised study: the concealed list (permuted blocks: one row per slot of
-- each stratum; minimisation: the seed of the random source only), the scrambled kit list,
-- each participant's allocation with its kit, dispensing and emergency unblinding, and the
-- notifications of an unblinding (in the application, and an outbox for e-mail).
-- Arms are stored only in allocation_slots, kits and allocations; the API shows them to
-- unblinded roles only, and the audit rows that name an arm are kept on the study's
-- '<study>/unblinded' chain.
CREATE TABLE randomisation_lists (
    study_id      TEXT PRIMARY KEY REFERENCES studies (id),
    method        TEXT NOT NULL,
    seed          TEXT NOT NULL,
    slots         INTEGER NOT NULL,
    kits          INTEGER NOT NULL,
    allocated     INTEGER NOT NULL DEFAULT 0,
    generated_by  TEXT NOT NULL,
    generated_at  TEXT NOT NULL
);

CREATE TABLE allocation_slots (
    study_id        TEXT NOT NULL REFERENCES randomisation_lists (study_id),
    stratum         INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    arm_id          TEXT NOT NULL,
    participant_id  INTEGER UNIQUE REFERENCES participants (id),
    PRIMARY KEY (study_id, stratum, position)
);

CREATE TABLE kits (
    study_id        TEXT NOT NULL REFERENCES randomisation_lists (study_id),
    kit_number      TEXT NOT NULL,
    arm_id          TEXT NOT NULL,
    dispense_rank   INTEGER NOT NULL,
    participant_id  INTEGER UNIQUE REFERENCES participants (id),
    PRIMARY KEY (study_id, kit_number)
);
CREATE INDEX kits_free ON kits (study_id, arm_id, dispense_rank);

CREATE TABLE allocations (
    participant_id  INTEGER PRIMARY KEY REFERENCES participants (id),
    study_id        TEXT NOT NULL,
    sequence        INTEGER NOT NULL,
    stratum         INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    ais             TEXT NOT NULL,
    injury_level    TEXT NOT NULL,
    site_index      INTEGER NOT NULL,
    arm_id          TEXT NOT NULL,
    kit_number      TEXT NOT NULL,
    randomised_at   TEXT NOT NULL,
    randomised_by   TEXT NOT NULL,
    dispensed_at    TEXT,
    dispensed_by    TEXT,
    unblinded_at    TEXT,
    unblinded_by    TEXT,
    unblind_reason  TEXT,
    UNIQUE (study_id, sequence),
    UNIQUE (study_id, stratum, position),
    UNIQUE (study_id, kit_number)
);

CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    study_id        TEXT NOT NULL,
    role            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    participant_id  INTEGER REFERENCES participants (id),
    message         TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX notifications_study ON notifications (study_id, role);

-- E-mail to be sent by a worker: one row per recipient; sent_at is set once sent.
CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY,
    study_id            TEXT NOT NULL,
    recipient_user_id   INTEGER NOT NULL REFERENCES users (id),
    recipient           TEXT NOT NULL,
    subject             TEXT NOT NULL,
    body                TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    sent_at             TEXT
);

-- Dose escalation (Phase I, open-label): each participant's dose level, assigned once as the
-- 3+3 rule allows or by a signed sponsor override, and the signed DLT assessment that makes
-- the participant evaluable.
CREATE TABLE dose_assignments (
    participant_id      INTEGER PRIMARY KEY REFERENCES participants (id),
    study_id            TEXT NOT NULL,
    level_id            TEXT NOT NULL,
    assigned_at         TEXT NOT NULL,
    assigned_by         TEXT NOT NULL,
    override_reason     TEXT,
    override_signer     TEXT,
    override_signed_at  TEXT
);
CREATE INDEX dose_assignments_study ON dose_assignments (study_id, level_id);

CREATE TABLE dlt_assessments (
    participant_id  INTEGER PRIMARY KEY REFERENCES participants (id),
    study_id        TEXT NOT NULL,
    dlt             INTEGER NOT NULL,
    onset_on        TEXT,
    description     TEXT NOT NULL,
    assessed_on     TEXT NOT NULL,
    signer_user_id  INTEGER NOT NULL REFERENCES users (id),
    signer_name     TEXT NOT NULL,
    signed_at       TEXT NOT NULL
);
