-- CVE records (issue #4): every saved version of a report's record, and the full record
-- of a published advisory.

-- One row per version of a record: what it said and in which state, who saved it.
-- Embargoed until the announcement like the report itself, so sealed.
CREATE TABLE record_versions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id     TEXT    NOT NULL REFERENCES reports (id),
    version       INTEGER NOT NULL, -- 1, 2, ... per report
    state         TEXT    NOT NULL, -- reserved, draft, review, ready, published, rejected
    actor         TEXT    NOT NULL,
    record_sealed BLOB    NOT NULL, -- CnaRecord as JSON
    created_at    INTEGER NOT NULL,
    UNIQUE (report_id, version)
);

-- The full record (CnaRecord as JSON) the public formats are written from; NULL for
-- advisories announced before this migration (their thin `record` is used instead).
ALTER TABLE advisories ADD COLUMN cna_record TEXT;
