-- Owners and the list's other orders (docs/process.md#owners, docs/architecture.md#lists).
-- `owner_id` is the member who took the report or was assigned it, kept in clear
-- beside the sealed report so that "Mine" is an index lookup; who handles a report is
-- not report content. Each order a list offers has the index that serves it, for one
-- project and for the organisation team's list of all, so that no order sorts the table.
ALTER TABLE reports ADD COLUMN owner_id INTEGER REFERENCES users (id);
CREATE INDEX reports_owner ON reports (owner_id, due_key, received_at DESC) WHERE owner_id IS NOT NULL;
CREATE INDEX reports_by_received ON reports (received_at DESC, id);
CREATE INDEX reports_project_by_received ON reports (project_id, received_at DESC, id);
CREATE INDEX reports_by_updated ON reports (updated_at DESC, id);
CREATE INDEX reports_project_by_updated ON reports (project_id, updated_at DESC, id);
-- Filters that pick few rows of the whole list: a rare triage class (spam, a known
-- non-issue) and the reports with a CVE id, each in the deadline order.
CREATE INDEX reports_triage ON reports (triage_class, due_key, received_at DESC);
CREATE INDEX reports_with_cve ON reports (due_key, received_at DESC) WHERE cve_id IS NOT NULL;
