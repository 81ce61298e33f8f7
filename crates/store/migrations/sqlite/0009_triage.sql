-- Triage (docs/triage.md). The class and status of each report's suggestion, in clear
-- like its state, for the dashboard's filters and bulk confirmation. The duplicate
-- fingerprint and its index marks hold keyed hashes only (docs/triage.md#duplicates):
-- without the data key they say nothing of the text. NULL for reports stored before.
ALTER TABLE reports ADD COLUMN triage_class TEXT;
ALTER TABLE reports ADD COLUMN triage_status TEXT;
ALTER TABLE reports ADD COLUMN fingerprint BLOB;

CREATE TABLE report_marks (
    mark      INTEGER NOT NULL,
    report_id TEXT    NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    PRIMARY KEY (mark, report_id)
);
