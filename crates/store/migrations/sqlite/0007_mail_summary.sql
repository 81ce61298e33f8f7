-- From, Date and Subject of each message taken in, read once at intake (sealed: a
-- sender's address and a subject are report content) so that the report page does not
-- parse every original again on each view. NULL for messages taken before this column:
-- the page reads those from the original.
ALTER TABLE mail_in ADD COLUMN summary_sealed BLOB;
