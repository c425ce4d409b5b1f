-- PostgreSQL's form values become `json` in this migration; SQLite keeps them as text
-- already, so nothing changes here (the two folders keep the same numbers).
SELECT 1;
