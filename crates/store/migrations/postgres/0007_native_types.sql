-- PostgreSQL's own types for instants, dates, flags and JSON (SQLite keeps text and 0/1).
-- Instants were UTC text in ISO 8601 (YYYY-MM-DDTHH:MM:SS.ffffffZ), which PostgreSQL parses as
-- such; the store reads them back as exactly that text (to_char … AT TIME ZONE 'UTC'), so the
-- audit trail's hashes, which cover `at` as written, still verify. ALTER … TYPE rewrites the
-- rows without firing the audit table's UPDATE triggers.

ALTER TABLE studies
    ALTER COLUMN loaded_at TYPE timestamptz USING loaded_at::timestamptz;

ALTER TABLE users ALTER COLUMN active DROP DEFAULT;
ALTER TABLE users
    ALTER COLUMN active TYPE boolean USING active <> 0,
    ALTER COLUMN locked_until TYPE timestamptz USING locked_until::timestamptz,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;
ALTER TABLE users ALTER COLUMN active SET DEFAULT TRUE;

ALTER TABLE sessions
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN last_seen TYPE timestamptz USING last_seen::timestamptz;

ALTER TABLE participants
    ALTER COLUMN date_of_birth TYPE date USING date_of_birth::date,
    ALTER COLUMN injury_date TYPE date USING injury_date::date,
    ALTER COLUMN consent_date TYPE date USING consent_date::date,
    ALTER COLUMN screening_date TYPE date USING screening_date::date,
    ALTER COLUMN eligible TYPE boolean USING eligible <> 0,
    ALTER COLUMN eligibility_reasons TYPE jsonb USING eligibility_reasons::jsonb,
    ALTER COLUMN enrolled_on TYPE date USING enrolled_on::date,
    ALTER COLUMN anchor_date TYPE date USING anchor_date::date,
    ALTER COLUMN ended_on TYPE date USING ended_on::date,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;

ALTER TABLE exams
    ALTER COLUMN examined_on TYPE date USING examined_on::date,
    ALTER COLUMN raw TYPE jsonb USING raw::jsonb,
    ALTER COLUMN classification TYPE jsonb USING classification::jsonb,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;

ALTER TABLE visits
    ALTER COLUMN target TYPE date USING target::date,
    ALTER COLUMN earliest TYPE date USING earliest::date,
    ALTER COLUMN latest TYPE date USING latest::date,
    ALTER COLUMN done_on TYPE date USING done_on::date;

ALTER TABLE audit
    ALTER COLUMN at TYPE timestamptz USING at::timestamptz;

ALTER TABLE form_entries ALTER COLUMN locked DROP DEFAULT;
ALTER TABLE form_entries
    ALTER COLUMN data TYPE jsonb USING data::jsonb,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz,
    ALTER COLUMN verified_at TYPE timestamptz USING verified_at::timestamptz,
    ALTER COLUMN locked TYPE boolean USING locked <> 0;
ALTER TABLE form_entries ALTER COLUMN locked SET DEFAULT FALSE;

ALTER TABLE signatures
    ALTER COLUMN signed_at TYPE timestamptz USING signed_at::timestamptz,
    ALTER COLUMN void_at TYPE timestamptz USING void_at::timestamptz;

ALTER TABLE queries
    ALTER COLUMN raised_at TYPE timestamptz USING raised_at::timestamptz,
    ALTER COLUMN answered_at TYPE timestamptz USING answered_at::timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz USING updated_at::timestamptz;

ALTER TABLE randomisation_lists
    ALTER COLUMN generated_at TYPE timestamptz USING generated_at::timestamptz;

ALTER TABLE allocations
    ALTER COLUMN randomised_at TYPE timestamptz USING randomised_at::timestamptz,
    ALTER COLUMN dispensed_at TYPE timestamptz USING dispensed_at::timestamptz,
    ALTER COLUMN unblinded_at TYPE timestamptz USING unblinded_at::timestamptz;

ALTER TABLE notifications
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;

ALTER TABLE outbox
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN sent_at TYPE timestamptz USING sent_at::timestamptz;

ALTER TABLE dose_assignments
    ALTER COLUMN assigned_at TYPE timestamptz USING assigned_at::timestamptz,
    ALTER COLUMN override_signed_at TYPE timestamptz USING override_signed_at::timestamptz;

ALTER TABLE dlt_assessments
    ALTER COLUMN dlt TYPE boolean USING dlt <> 0,
    ALTER COLUMN onset_on TYPE date USING onset_on::date,
    ALTER COLUMN assessed_on TYPE date USING assessed_on::date,
    ALTER COLUMN signed_at TYPE timestamptz USING signed_at::timestamptz;

ALTER TABLE notification_reads
    ALTER COLUMN read_at TYPE timestamptz USING read_at::timestamptz;
