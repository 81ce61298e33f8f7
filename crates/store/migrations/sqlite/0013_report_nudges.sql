-- The deadline reminders and escalations sent for reports (docs/process.md#deadlines):
-- one per report, deadline, kind and due time, inserted in the transaction that queues
-- the mail and writes the audit line, so that none goes twice across passes, restarts
-- and nodes. A deadline that moves (a new state, a new due time) is a new row.
CREATE TABLE report_nudges (
    report_id TEXT    NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    deadline  TEXT    NOT NULL CHECK (deadline IN ('acknowledge', 'discuss', 'announce')),
    nudge     TEXT    NOT NULL CHECK (nudge IN ('reminder', 'escalation')),
    due_at    INTEGER NOT NULL,
    sent_at   INTEGER NOT NULL,
    PRIMARY KEY (report_id, deadline, nudge, due_at)
);
