-- E-mail (issue #3): every message taken in, its attachments, and the outbox's leases.

-- One row per message taken in, whatever it caused. The UNIQUE Message-ID, inserted in
-- the same transaction as the report or reply it caused, is what makes a message sent
-- (or delivered by the MTA) twice count once.
CREATE TABLE mail_in (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id  TEXT    NOT NULL UNIQUE, -- without <>; a digest of the bytes when the mail has none
    report_id   TEXT    REFERENCES reports (id), -- NULL for mail ignored before it reached a report
    disposition TEXT    NOT NULL,
    raw_sealed  BLOB    NOT NULL, -- the original message, as received
    raw_sha256  TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX mail_in_report ON mail_in (report_id, id);

-- Attachments are for the team only, never rendered inline.
CREATE TABLE mail_attachments (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    mail_id        INTEGER NOT NULL REFERENCES mail_in (id),
    report_id      TEXT    NOT NULL REFERENCES reports (id),
    name_sealed    BLOB    NOT NULL,
    content_type   TEXT    NOT NULL,
    size           INTEGER NOT NULL,
    sha256         TEXT    NOT NULL,
    content_sealed BLOB, -- NULL when larger than the limit: only the digest is kept
    created_at     INTEGER NOT NULL
);
CREATE INDEX mail_attachments_report ON mail_attachments (report_id, id);

-- A worker claims a row by setting these with a conditional UPDATE, so that two
-- workers (or two nodes) never send the same row at the same time.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until INTEGER;
