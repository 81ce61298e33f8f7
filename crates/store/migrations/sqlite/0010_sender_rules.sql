-- Sender rules (docs/mail.md, "Held mail and sender controls"): the organisation team
-- blocks or throttles a sender by address or by domain. A copy of the database must not
-- show who: the pattern is found by its blind mark (a keyed hash, with a key derived
-- from the data key, of `address:<lower-case address>` or `domain:<domain>`) and kept
-- sealed for the list; the reasons are sealed too (they may name people). Rules are
-- lifted, never deleted: the rule keeps who lifted it and why, the audit log the when.
CREATE TABLE sender_rules (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    mark               INTEGER NOT NULL,
    scope              TEXT    NOT NULL CHECK (scope IN ('address', 'domain')),
    action             TEXT    NOT NULL CHECK (action IN ('block', 'throttle')),
    per_day            INTEGER, -- new reports a day, throttles only
    pattern_sealed     BLOB    NOT NULL,
    reason_sealed      BLOB    NOT NULL,
    created_at         INTEGER NOT NULL,
    created_by         INTEGER NOT NULL REFERENCES users (id),
    lifted_at          INTEGER,
    lifted_by          INTEGER REFERENCES users (id),
    lift_reason_sealed BLOB,
    CHECK ((action = 'throttle') = (per_day IS NOT NULL))
);
-- One rule in force per pattern; the lookup of an incoming sender's marks.
CREATE UNIQUE INDEX sender_rules_in_force ON sender_rules (mark) WHERE lifted_at IS NULL;
CREATE INDEX sender_rules_lifted ON sender_rules (lifted_at);

-- The reports a throttle let through: its rule and when, nothing about the sender.
-- Rows older than a day are pruned as new ones come.
CREATE TABLE sender_rule_hits (
    rule_id INTEGER NOT NULL REFERENCES sender_rules (id),
    at      INTEGER NOT NULL
);
CREATE INDEX sender_rule_hits_rule ON sender_rule_hits (rule_id, at);
