-- Announcements that reach every list (docs/mail.md#announcements): whether an outgoing
-- mail is automatic (marked Auto-Submitted) or a person's words (the announcement, a
-- relayed reply), whom it comes from when not the installation's address, and, for each
-- copy of an announcement, the destination it went to. Rows queued before stay
-- automatic, from the installation's address, and name no destination.
ALTER TABLE outbox ADD COLUMN origin TEXT NOT NULL DEFAULT 'automatic'
    CHECK (origin IN ('automatic', 'human_approved'));
ALTER TABLE outbox ADD COLUMN from_sealed BLOB; -- sealed "Name <address>"; NULL: the installation's From
ALTER TABLE outbox ADD COLUMN destination_sealed BLOB; -- sealed JSON {destination, address}; NULL: not an announcement copy
