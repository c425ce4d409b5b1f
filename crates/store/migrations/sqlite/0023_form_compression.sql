-- PostgreSQL's form values are compressed with lz4 from this migration; SQLite does not
-- compress them, so nothing changes here (the two folders keep the same numbers).
SELECT 1;
