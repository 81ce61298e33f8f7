-- Search (docs/search.md): a blind index of the team's search. Nothing here is text:
-- each term of a report (a word, a pair of adjacent words, an id prefix, an address or
-- its domain) is stored as a keyed hash made with the search key, derived from the
-- data key. Without the key a row says only that some report holds some term.

-- One row per distinct term of a report, with the report's arrival: the reports of a
-- term are read newest first from the primary key, and whether one report holds a
-- term is a point lookup on it. No index by report: the terms a report was indexed
-- by are kept in search_reports, so that removing them is point deletes too.
CREATE TABLE search_terms (
    term        BIGINT  NOT NULL,
    received_at BIGINT  NOT NULL,
    report_id   TEXT    NOT NULL,
    PRIMARY KEY (term, received_at, report_id)
);

-- Each indexed report's marks (8-byte big-endian keyed hashes, sorted): those of its
-- own fields, replaced when they change, and those of its thread and attachment
-- names, which only grow. A report without a row here is not indexed yet.
CREATE TABLE search_reports (
    report_id    TEXT PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
    field_marks  BYTEA NOT NULL,
    thread_marks BYTEA NOT NULL
);

-- Indexing the reports stored before this migration, in batches by id, resumable:
-- how far it got, and whether it is done.
CREATE TABLE search_backfill (
    id       BIGINT  PRIMARY KEY CHECK (id = 1),
    after_id TEXT    NOT NULL,
    done     BIGINT  NOT NULL
);
INSERT INTO search_backfill (id, after_id, done) VALUES (1, '', 0);
