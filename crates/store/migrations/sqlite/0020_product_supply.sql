-- The cell product's dosing, events to follow and site supply (issue #17).
--
-- Each administration is a dose of the participant's schedule: its number (1 for the single
-- dose, 1-4 for the multiple doses of Phase I), the visit it was given at and the date at the
-- site.
ALTER TABLE product_administrations ADD COLUMN dose_number INTEGER;
ALTER TABLE product_administrations ADD COLUMN visit_id TEXT;
ALTER TABLE product_administrations ADD COLUMN dosed_on TEXT;

-- An event to follow, opened by the product: a late release failure of a lot given to a
-- participant (one per recipient), closed with a note once followed up.
CREATE TABLE product_events (
    id              INTEGER PRIMARY KEY,
    study_id        TEXT NOT NULL REFERENCES studies (id),
    kind            TEXT NOT NULL,
    lot_id          INTEGER NOT NULL REFERENCES product_lots (id),
    participant_id  INTEGER REFERENCES participants (id),
    description     TEXT NOT NULL,
    state           TEXT NOT NULL,
    opened_at       TEXT NOT NULL,
    closed_by       TEXT,
    closed_at       TEXT,
    note            TEXT
);
CREATE INDEX product_events_study ON product_events (study_id, state);

-- A site's supply: whether its usable stock is at or below the product's minimum (low, 0 or 1),
-- so that a resupply notice goes out once per crossing.
CREATE TABLE product_site_supply (
    study_id    TEXT NOT NULL REFERENCES studies (id),
    site_id     TEXT NOT NULL,
    low         INTEGER NOT NULL,
    stock       INTEGER NOT NULL,
    changed_at  TEXT NOT NULL,
    PRIMARY KEY (study_id, site_id)
);
