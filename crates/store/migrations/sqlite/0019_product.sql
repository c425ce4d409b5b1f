-- The cell product (trial::product): identity, release, custody and condition, from the master
-- cell bank to the participant. Numbers that are not counts (temperatures, volumes, release
-- results) are kept as decimal text, as the lab values are.
--
-- The product definition (its release tests and limits), loaded per study as its TOML text.
CREATE TABLE product_definitions (
    study_id    TEXT PRIMARY KEY REFERENCES studies (id),
    product_id  TEXT NOT NULL,
    source      TEXT NOT NULL,
    digest      TEXT NOT NULL,
    loaded_by   TEXT NOT NULL,
    loaded_at   TEXT NOT NULL
);

-- A master cell bank: its donor (a code, never a name) and the donor's HLA typing.
CREATE TABLE product_banks (
    id          INTEGER PRIMARY KEY,
    study_id    TEXT NOT NULL REFERENCES studies (id),
    code        TEXT NOT NULL,
    donor       TEXT NOT NULL,
    hla_typing  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (study_id, code)
);

-- A lot made from a bank. Its state is the last decision's: quarantined, released,
-- conditionally_released (pending names the tests awaited, comma-separated) or rejected.
CREATE TABLE product_lots (
    id                  INTEGER PRIMARY KEY,
    study_id            TEXT NOT NULL REFERENCES studies (id),
    bank_id             INTEGER NOT NULL REFERENCES product_banks (id),
    lot_number          TEXT NOT NULL,
    manufacturing_site  TEXT NOT NULL,
    manufactured_on     TEXT NOT NULL,
    cell_count          INTEGER NOT NULL,
    expires_on          TEXT NOT NULL,
    state               TEXT NOT NULL,
    pending             TEXT,
    reason              TEXT,
    late_failure        TEXT,
    created_by          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    UNIQUE (study_id, lot_number)
);
CREATE INDEX product_lots_bank ON product_lots (bank_id);

-- One result of a release test, entered and signed by QC (one per test and lot).
CREATE TABLE product_release_results (
    id          INTEGER PRIMARY KEY,
    lot_id      INTEGER NOT NULL REFERENCES product_lots (id),
    test_id     TEXT NOT NULL,
    value       TEXT NOT NULL,
    verdict     TEXT NOT NULL,
    signed_by   TEXT NOT NULL,
    signer_name TEXT NOT NULL,
    signed_at   TEXT NOT NULL,
    UNIQUE (lot_id, test_id)
);

-- The qualified person's decisions on a lot, signed, in order.
CREATE TABLE product_lot_decisions (
    id          INTEGER PRIMARY KEY,
    lot_id      INTEGER NOT NULL REFERENCES product_lots (id),
    decision    TEXT NOT NULL,
    pending     TEXT,
    reason      TEXT,
    signed_by   TEXT NOT NULL,
    signer_name TEXT NOT NULL,
    signed_at   TEXT NOT NULL
);
CREATE INDEX product_lot_decisions_lot ON product_lot_decisions (lot_id);

-- Where units are kept: a freezer position at the manufacturer or a site.
CREATE TABLE product_locations (
    id          INTEGER PRIMARY KEY,
    study_id    TEXT NOT NULL REFERENCES studies (id),
    code        TEXT NOT NULL,
    site_id     TEXT,
    description TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (study_id, code)
);

-- A shipment from the manufacturer to a site in a dry shipper. Received when a hand-over at
-- the site was signed by its pharmacist.
CREATE TABLE product_shipments (
    id          INTEGER PRIMARY KEY,
    study_id    TEXT NOT NULL REFERENCES studies (id),
    site_id     TEXT NOT NULL,
    shipper     TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX product_shipments_site ON product_shipments (study_id, site_id);

-- A unit (vial): active or placebo, labelled alike (ISBT 128 DIN, check character, product
-- code). placebo and kit_number (the kit <-> unit link) are shown to unblinded roles only.
-- status: available, used (given) or rejected (after an excursion's decision).
CREATE TABLE product_units (
    id              INTEGER PRIMARY KEY,
    study_id        TEXT NOT NULL REFERENCES studies (id),
    lot_id          INTEGER NOT NULL REFERENCES product_lots (id),
    din             TEXT NOT NULL UNIQUE,
    check_character TEXT NOT NULL,
    product_code    TEXT NOT NULL,
    placebo         INTEGER NOT NULL,
    location_id     INTEGER REFERENCES product_locations (id),
    shipment_id     INTEGER REFERENCES product_shipments (id),
    kit_number      TEXT,
    status          TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (study_id, kit_number)
);
CREATE INDEX product_units_lot ON product_units (lot_id);
CREATE INDEX product_units_shipment ON product_units (shipment_id);

-- Every hand-over of a shipment: from whom, to whom (the signer, who takes custody), when
-- and where.
CREATE TABLE product_handovers (
    id          INTEGER PRIMARY KEY,
    shipment_id INTEGER NOT NULL REFERENCES product_shipments (id),
    from_party  TEXT NOT NULL,
    place       TEXT NOT NULL,
    handed_at   TEXT NOT NULL,
    signed_by   TEXT NOT NULL,
    signer_name TEXT NOT NULL,
    signed_at   TEXT NOT NULL
);
CREATE INDEX product_handovers_shipment ON product_handovers (shipment_id);

-- A temperature logger's file imported for a shipment (once, by its SHA-256), its readings,
-- and what it showed: excursions above the limit and gaps, each holding the shipment's units
-- until a documented decision (use or reject).
CREATE TABLE product_logger_files (
    id          INTEGER PRIMARY KEY,
    shipment_id INTEGER NOT NULL REFERENCES product_shipments (id),
    digest      TEXT NOT NULL,
    readings    INTEGER NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (shipment_id, digest)
);

CREATE TABLE product_logger_readings (
    file_id     INTEGER NOT NULL REFERENCES product_logger_files (id),
    line        INTEGER NOT NULL,
    read_at     TEXT NOT NULL,
    celsius     TEXT NOT NULL,
    PRIMARY KEY (file_id, line)
);

CREATE TABLE product_excursions (
    id              INTEGER PRIMARY KEY,
    shipment_id     INTEGER NOT NULL REFERENCES product_shipments (id),
    file_id         INTEGER NOT NULL REFERENCES product_logger_files (id),
    kind            TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    ended_at        TEXT,
    minutes         INTEGER NOT NULL,
    peak_c          TEXT,
    line            INTEGER NOT NULL,
    decision        TEXT,
    reason          TEXT,
    decided_by      TEXT,
    decided_at      TEXT
);
CREATE INDEX product_excursions_shipment ON product_excursions (shipment_id);

-- A unit given at the bedside: who received it (through their kit), thaw and injection
-- times, dose, volume, route and lumbar puncture level.
CREATE TABLE product_administrations (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL UNIQUE REFERENCES product_units (id),
    participant_id  INTEGER NOT NULL REFERENCES participants (id),
    thawed_at       TEXT NOT NULL,
    injected_at     TEXT NOT NULL,
    dose_cells      INTEGER NOT NULL,
    volume_ml       TEXT NOT NULL,
    weight_kg       TEXT NOT NULL,
    route           TEXT NOT NULL,
    puncture_level  TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX product_administrations_participant ON product_administrations (participant_id);
