-- The version of the generator a randomisation list was made with (`trial::list_check::
-- GENERATOR`): a list is replayed from its seed only by the generator that made it. Lists made
-- before this column existed have none.
ALTER TABLE randomisation_lists ADD COLUMN generator TEXT;
