-- A report's audit lines name disclosure dates, CVE ids and projects: sealed from now
-- on (docs/confidentiality.md). New lines keep '' in `detail` and the text in
-- `detail_sealed`, bound to the line's report, action and time. Lines written before
-- are sealed in place by the store when it opens the database (the data key is not
-- available to SQL), in batches, found by the partial index below.
--
-- The log stays append-only: the one update allowed is that sealing, once, of a
-- report's line, with every other column unchanged. Organisation-level lines (no
-- report) hold only row numbers and project slugs, and stay in clear.
ALTER TABLE audit ADD COLUMN detail_sealed BLOB;
CREATE INDEX audit_unsealed ON audit (id) WHERE detail_sealed IS NULL AND report_id IS NOT NULL;

DROP TRIGGER audit_no_update;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
WHEN NOT (OLD.detail_sealed IS NULL AND NEW.detail_sealed IS NOT NULL AND NEW.detail = ''
          AND OLD.report_id IS NOT NULL AND NEW.id = OLD.id AND NEW.report_id = OLD.report_id
          AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND NEW.action = OLD.action)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE is not allowed');
END;

-- A thread message's author label may name a sender ("Held mail from ann@…"): sealed
-- too, bound to the report, with '' left in `author_label`. Labels written before are
-- sealed in place on open, like the audit details.
ALTER TABLE messages ADD COLUMN author_label_sealed BLOB;
CREATE INDEX messages_label_unsealed ON messages (id) WHERE author_label_sealed IS NULL;
