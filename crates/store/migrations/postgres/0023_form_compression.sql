-- A saved form's values (some 4 kB of JSON) are compressed with lz4 rather than PostgreSQL's
-- own pglz: pglz took a tenth of the server's processor time for a save (issue #20), lz4 a
-- fraction of that, for a value a little larger (1.1 kB against 0.7 kB). Values saved before
-- keep their compression until saved again. A server built without lz4 keeps pglz.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE form_entries ALTER COLUMN data SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this server has no lz4: form values stay compressed with pglz';
END
$$;
