-- Mail taken in (docs/confidentiality.md#mail_in-every-message-taken-in): a Message-ID
-- names the sender's mail domain, so it is no longer kept in clear. `message_id` now
-- holds a keyed digest of it (what duplicate detection and threading look up, under its
-- unique index), `message_id_sealed` the id itself (what a reply to the reporter
-- threads on), and `generated` whether Embargo made the id up for a message without one
-- (nothing a reader's client could thread on). Rows stored before are converted when the
-- store opens (their sealed raw message and headers are sealed again under the digest).
ALTER TABLE mail_in ADD COLUMN message_id_sealed BYTEA;
ALTER TABLE mail_in ADD COLUMN generated INTEGER NOT NULL DEFAULT 0;
CREATE INDEX mail_in_clear_ids ON mail_in (id) WHERE message_id_sealed IS NULL;
