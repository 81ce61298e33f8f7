-- The CVE id of a report out of the clear (docs/confidentiality.md): a copy of the
-- database must not tell which ids belong to unpublished reports, of which project,
-- since when.
--
-- `reports.cve_id` now holds a keyed digest of the id (32 hex digits, never the id):
-- its unique index still refuses one id to two reports, and the "has a CVE" filter
-- and its index read it unchanged. The id itself is in `cve_sealed`, bound to the
-- report, for the lists' CVE column (the report's sealed content holds it too). Rows
-- stored before hold the id in clear: the store converts them when it opens the
-- database (the data key is not available to SQL), in batches, found by the partial
-- index below.
ALTER TABLE reports ADD COLUMN cve_sealed BLOB;
CREATE INDEX reports_cve_clear ON reports (id) WHERE cve_id LIKE 'CVE-%';

-- The pool keeps each id and whether it is free or assigned (the counts, and handing
-- out the lowest free id, read these), no longer which report it went to nor when.
UPDATE cve_pool SET report_id = NULL, assigned_at = NULL;
