-- Delegation as at the ASF (issue #4): a trusted project's own team assigns CVE ids
-- from the organisation's pool; the others request one. Set from the projects file.
ALTER TABLE projects ADD COLUMN trusted BIGINT NOT NULL DEFAULT 0 CHECK (trusted IN (0, 1));
