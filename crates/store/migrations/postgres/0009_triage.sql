-- Triage (docs/triage.md). The class and status of each report's suggestion, in clear
-- like its state, for the dashboard's filters and bulk confirmation. The duplicate
-- fingerprints and their index marks hold keyed hashes only (docs/triage.md#duplicates):
-- without the data key they say nothing of the text. NULL for reports stored before.
ALTER TABLE reports ADD COLUMN triage_class TEXT;
ALTER TABLE reports ADD COLUMN triage_status TEXT;

-- One row per mark of a report's fingerprint, with the report's arrival: a lookup
-- takes the earliest few reports per mark from the index, so that a flood of identical
-- reports costs each new one the same small read, however many came before.
CREATE TABLE report_marks (
    mark        BIGINT  NOT NULL,
    received_at BIGINT  NOT NULL,
    report_id   TEXT    NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    PRIMARY KEY (mark, received_at, report_id)
);

-- Each report's fingerprint, apart from the report row: a lookup reads a few dozen
-- fingerprints, never the sealed reports they belong to.
CREATE TABLE report_fingerprints (
    report_id   TEXT  PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
    fingerprint BYTEA NOT NULL
);
