-- PostgreSQL.
-- One record model (the full CNA record). Advisories announced before the full record
-- existed kept only the thin first record in `record` (title, description, product,
-- ranges without inclusive bounds, bare reference URLs) and NULL in `cna_record`. That
-- JSON reads as the full record as it is (every field may be left out, a reference may
-- be a bare URL), so it moves over unchanged; `record` then goes: `cna_record` is the
-- record of every advisory.
--
-- Reports kept their thin record inside their sealed content, which SQL cannot open:
-- the store reads it into the full record when it opens such a report (sql/upgrade.rs),
-- and writes the full shape the next time the report changes.
UPDATE advisories SET cna_record = record WHERE cna_record IS NULL;
ALTER TABLE advisories DROP COLUMN record;
