-- A form's values are kept as the JSON text the store wrote (`json`: checked to be JSON, kept
-- as written) rather than as `jsonb`: no query looks inside them, and `jsonb` parses, sorts
-- and rebuilds every saved form on the way in and prints it again on the way out, which was
-- a fifth of the server's work for a save (issue #20).
ALTER TABLE form_entries ALTER COLUMN data TYPE json USING data::json;
