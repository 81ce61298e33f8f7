-- The reminders sent before a statement expires (docs/vex.md): one per statement and
-- expiry date, so that no reminder goes twice, across restarts and across several
-- nodes on one database (the row is inserted in the transaction that queues the mail;
-- a second node's insert finds it and queues nothing). A new `until` is a new reminder.
CREATE TABLE statement_reminders (
    statement_id INTEGER NOT NULL REFERENCES statements (id),
    until        TEXT    NOT NULL, -- YYYY-MM-DD, the expiry reminded of
    reminded_at  INTEGER NOT NULL,
    PRIMARY KEY (statement_id, until)
);
