-- One home for an ISNCSCI exam: its visit's ISNCSCI form. An exam kept in this table by a
-- database made before is moved into its form when the study is loaded, and marked here with
-- the form it went to (`participant/visit/form`); nothing reads an exam from this table any
-- more. The rows stay so that their audit rows still belong to their participant.
ALTER TABLE exams ADD COLUMN moved_to TEXT;
