-- Who an outgoing mail went to, so that a team member's mail answering it can be told
-- apart: relayed to the reporter only when it answers a mail the reporter got. Rows
-- queued before this column existed count as team-only (when in doubt, internal).
ALTER TABLE outbox ADD COLUMN audience TEXT NOT NULL DEFAULT 'team'
    CHECK (audience IN ('team', 'reporter'));

-- Bounces and auto-replies that belong to no report: never answered, never dropped.
-- The organisation team reads them, releases one into a report or discards it. Kept
-- apart from mail_in so that a held copy never takes the Message-ID a real copy of
-- the same message needs to become a report.
CREATE TABLE mail_held (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id     TEXT    NOT NULL UNIQUE, -- without <>; a digest of the bytes when the mail has none
    reason         TEXT    NOT NULL, -- 'bounce' or 'auto_reply' and the sign seen, never content
    summary_sealed BLOB    NOT NULL, -- sealed JSON: sender and subject, for the list
    raw_sealed     BLOB    NOT NULL, -- the original message, as received
    size           INTEGER NOT NULL,
    received_at    INTEGER NOT NULL,
    state          TEXT    NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'released', 'discarded')),
    resolved_at    INTEGER,
    resolved_by    INTEGER REFERENCES users (id),
    report_id      TEXT    REFERENCES reports (id) -- the report a released mail became
);
CREATE INDEX mail_held_state ON mail_held (state, received_at);
