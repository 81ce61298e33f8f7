-- The clocks that start on an event (docs/clocks.md): one row per running clock of a
-- report with the time it started. Written in the transaction of the change that
-- starts or stops it (a team reply, the reporter's answer, the announcement, the
-- record's publication, the fix, a CRA flag), so the server's pass reads the clocks
-- due from an index instead of opening every report. No content: names and times.
--   clock   'reporter_silent', 'cve_record', 'cra_early_warning', 'cra_notification',
--           'cra_final_report', or 'fixed' (when the fix was recorded: the CRA's final
--           report counts from it; it never nudges itself)
--   since   when it started (the first unanswered reply, the announcement, the time of
--           awareness, the fix)
--   done_at when the team marked a CRA stage done (it stops it)
--   quiet   1 once its last nudge went: the pass looks at it no more
CREATE TABLE report_clocks (
    report_id TEXT    NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    clock     TEXT    NOT NULL CHECK (clock IN ('reporter_silent', 'cve_record', 'fixed',
                  'cra_early_warning', 'cra_notification', 'cra_final_report')),
    since     INTEGER NOT NULL,
    done_at   INTEGER,
    quiet     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (report_id, clock)
);
CREATE INDEX report_clocks_pending ON report_clocks (quiet, since);
CREATE INDEX report_clocks_open ON report_clocks (done_at, since);

-- The nudges of those clocks, as report_nudges (0013) is for the handling deadlines:
-- one per report, clock, nudge and start time, inserted with the mail and the audit
-- line, so none goes twice across passes, restarts and nodes.
CREATE TABLE clock_nudges (
    report_id TEXT    NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    clock     TEXT    NOT NULL,
    nudge     TEXT    NOT NULL CHECK (nudge IN ('reminder', 'escalation')),
    since     INTEGER NOT NULL,
    sent_at   INTEGER NOT NULL,
    PRIMARY KEY (report_id, clock, nudge, since)
);
