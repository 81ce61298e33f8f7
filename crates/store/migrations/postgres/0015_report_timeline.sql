-- Statistics (docs/statistics.md): each report's timeline, in clear beside it, so that
-- figures over many reports never open a sealed one. Process metadata only: when it
-- arrived and by which channel, its triage class, when it was acknowledged, decided,
-- announced and its record published, its deadlines, and whether it has a CVE (never
-- which). Written with every change of the report (store/src/sql/timeline.rs).
CREATE TABLE report_timeline (
    report_id       TEXT    PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
    project_id      BIGINT  REFERENCES projects (id),
    channel         TEXT    NOT NULL,
    triage_class    TEXT,
    received_at     BIGINT  NOT NULL,
    acknowledged_at BIGINT,
    decided_at      BIGINT,
    outcome         TEXT    CHECK (outcome IN ('accepted', 'rejected', 'closed', 'merged')),
    announced_at    BIGINT,
    published_at    BIGINT,
    acknowledge_due BIGINT,
    decide_due      BIGINT,
    announce_due    BIGINT,
    cve_assigned    BIGINT  NOT NULL CHECK (cve_assigned IN (0, 1)),
    -- 0: filled by this migration from the clear columns only; the times and deadlines
    -- are sealed, and are filled in by the backfill at serve start.
    complete        BIGINT  NOT NULL CHECK (complete IN (0, 1))
);
-- A period's reports, of some projects or of all.
CREATE INDEX report_timeline_project ON report_timeline (project_id, received_at);
CREATE INDEX report_timeline_received ON report_timeline (received_at);
-- What the backfill has left to do, found without a scan.
CREATE INDEX report_timeline_incomplete ON report_timeline (report_id) WHERE complete = 0;

INSERT INTO report_timeline (report_id, project_id, channel, triage_class, received_at,
                             outcome, cve_assigned, complete)
SELECT id, project_id, channel,
       CASE WHEN triage_status = 'dismissed' THEN 'report' ELSE triage_class END,
       received_at,
       CASE
           WHEN state IN ('accepted', 'cve_requested', 'cve_assigned', 'reporter_review',
                          'fixed', 'announced') THEN 'accepted'
           WHEN state = 'rejected' THEN 'rejected'
           WHEN state = 'closed' THEN 'closed'
           WHEN state = 'merged' THEN 'merged'
       END,
       CASE WHEN cve_id IS NULL THEN 0 ELSE 1 END,
       0
FROM reports;
