//! Reports: creating one, applying a decided change to it (alone, with a second
//! report's in a merge, or with a new report in a split), and reading it back with its
//! thread, audit log and outbox.
//!
//! A change is stored whole or not at all: the report row (only if still at the
//! version the change was decided on, else [`StoreError::Stale`]) and its effects —
//! messages, queued mails, audit entry, CVE claim ([`StoreError::CveTaken`] unless the
//! id is free), advisory and record version — in the caller's transaction.

use async_trait::async_trait;
use embargo_domain::ids::{CveId, ProjectId, ReportId, UserId};
use embargo_domain::lifecycle::Change;
use embargo_domain::report::{AuditEntry, Message, MessageKind, OutgoingMail, Report};
use embargo_domain::state::ReportState;
use embargo_domain::token::TokenDigest;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::advisories::insert_advisory;
use super::codec::{
    addresses, addresses_json, message_aad, message_author_aad, new_message_id,
    on_unique_violation, outbox_body_aad, outbox_cc_aad, outbox_subject_aad, outbox_to_aad,
    project_ref, report_aad, report_id, timestamp, title_aad, unique_conflict,
};
use super::group_commit::{Done, Work};
use super::upgrade::report_from_json;
use super::{SqlStore, Tx};
use crate::model::{OutboxEntry, ReportFilter, ReportSummary, TriageMark};
use crate::{Reports, Result, StoreError};
use embargo_domain::triage::{TriageClass, TriageStatus};

/// The clear and sealed columns a report is stored as.
struct ReportColumns {
    project_id: Option<i64>,
    state: &'static str,
    closed: i64,
    title: Vec<u8>,
    content: Vec<u8>,
    next_due: Option<i64>,
    due_key: i64,
    /// The CVE id's keyed digest (the `cve_id` column) and the id sealed.
    cve: Option<String>,
    cve_sealed: Option<Vec<u8>>,
    triage_class: Option<&'static str>,
    triage_status: Option<&'static str>,
    owner: Option<i64>,
}

impl SqlStore {
    /// `create_report` inside the caller's transaction (the mail intake adds its own rows).
    pub(crate) async fn create_report_in(
        &self,
        tx: &mut Tx,
        change: &Change,
        status_token: &TokenDigest,
    ) -> Result<Report> {
        let mut report = change.report.clone();
        report.version = 1;
        let cols = self.report_columns(&report)?;
        sqlx::query(
            "INSERT INTO reports (id, project_id, state, closed, channel, title_sealed, content_sealed, \
             status_token_digest, received_at, next_due, due_key, cve_id, version, updated_at, \
             triage_class, triage_status, owner_id, cve_sealed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(report.id.as_str())
        .bind(cols.project_id)
        .bind(cols.state)
        .bind(cols.closed)
        .bind(report.channel.as_str())
        .bind(cols.title)
        .bind(cols.content)
        .bind(status_token.as_str())
        .bind(report.received_at.as_microsecond())
        .bind(cols.next_due)
        .bind(cols.due_key)
        .bind(cols.cve)
        .bind(report.version)
        .bind(change.audit.at.as_microsecond())
        .bind(cols.triage_class)
        .bind(cols.triage_status)
        .bind(cols.owner)
        .bind(cols.cve_sealed)
        .execute(&mut **tx)
        .await
        .map_err(|e| unique_conflict(e, || format!("report {} or its status link", report.id)))?;
        if let Some(fingerprint) = &change.fingerprint {
            self.insert_marks(
                tx,
                &report.id,
                report.received_at.as_microsecond(),
                fingerprint,
            )
            .await?;
        }
        self.insert_effects(tx, change).await?;
        self.record_timeline(tx, change).await?;
        self.index_change(tx, change).await?;
        Ok(report)
    }

    /// `apply` inside the caller's transaction.
    pub(crate) async fn apply_in(&self, tx: &mut Tx, change: &Change) -> Result<Report> {
        let expected = change.report.version;
        let mut report = change.report.clone();
        report.version = expected + 1;
        let cols = self.report_columns(&report)?;
        let updated = sqlx::query(
            "UPDATE reports SET project_id = $1, state = $2, closed = $3, title_sealed = $4, \
             content_sealed = $5, next_due = $6, due_key = $7, cve_id = $8, version = $9, updated_at = $10, \
             triage_class = $13, triage_status = $14, owner_id = $15, cve_sealed = $16 \
             WHERE id = $11 AND version = $12",
        )
        .bind(cols.project_id)
        .bind(cols.state)
        .bind(cols.closed)
        .bind(cols.title)
        .bind(cols.content)
        .bind(cols.next_due)
        .bind(cols.due_key)
        .bind(cols.cve)
        .bind(report.version)
        .bind(change.audit.at.as_microsecond())
        .bind(report.id.as_str())
        .bind(expected)
        .bind(cols.triage_class)
        .bind(cols.triage_status)
        .bind(cols.owner)
        .bind(cols.cve_sealed)
        .execute(&mut **tx)
        .await
        .map_err(|e| match &report.cve {
            // Only cve_id is unique among the updated columns: another report holds it.
            Some(cve) => on_unique_violation(e, || StoreError::CveTaken(cve.clone())),
            None => StoreError::Database(e),
        })?
        .rows_affected();
        if updated == 0 {
            // Either the version moved on since the change was decided, or there is
            // no such report at all: only the first is worth a retry.
            let exists = sqlx::query("SELECT 1 AS one FROM reports WHERE id = $1")
                .bind(report.id.as_str())
                .fetch_optional(&mut **tx)
                .await?
                .is_some();
            return Err(if exists {
                StoreError::Stale
            } else {
                StoreError::NotFound(format!("report {}", report.id))
            });
        }
        self.insert_effects(tx, change).await?;
        self.record_timeline(tx, change).await?;
        self.index_change(tx, change).await?;
        Ok(report)
    }

    fn report_columns(&self, report: &Report) -> Result<ReportColumns> {
        let id = report.id.as_str();
        let content = serde_json::to_vec(report)
            .map_err(|e| StoreError::Corrupt(format!("report {id} does not serialize: {e}")))?;
        let next_due = report.next_due().map(|t| t.as_microsecond());
        Ok(ReportColumns {
            project_id: report.project.as_ref().map(|p| p.id.0),
            state: report.state.as_str(),
            closed: i64::from(report.state.is_terminal()),
            title: self.sealer.seal_str(&title_aad(id), &report.title)?,
            content: self.sealer.seal(report_aad(id).as_bytes(), &content)?,
            next_due,
            // Reports without a deadline sort last on the dashboard.
            due_key: next_due.unwrap_or(i64::MAX),
            cve: report.cve.as_ref().map(|c| self.cve_mark(c)),
            cve_sealed: report
                .cve
                .as_ref()
                .map(|c| self.seal_cve(id, c))
                .transpose()?,
            triage_class: report.triage.as_ref().map(|t| t.class.as_str()),
            triage_status: report.triage.as_ref().map(|t| t.status.as_str()),
            owner: report.owner.map(|u| u.0),
        })
    }

    /// Everything of a change besides the report row: thread, outbox, audit, CVE claim,
    /// advisory, record version. Runs inside the caller's transaction.
    async fn insert_effects(&self, tx: &mut Tx, change: &Change) -> Result<()> {
        let report_id = change.report.id.as_str();
        self.insert_messages(tx, change).await?;
        self.queue_mails(tx, change).await?;
        self.insert_audit(tx, report_id, &change.audit).await?;
        self.sync_clocks(tx, change).await?;
        if let Some(cve) = &change.claim_cve {
            claim_cve(tx, cve).await?;
        }
        if let Some(advisory) = &change.publish {
            insert_advisory(tx, advisory).await?;
        }
        self.keep_record_version(tx, change).await?;
        Ok(())
    }

    async fn insert_messages(&self, tx: &mut Tx, change: &Change) -> Result<()> {
        let report_id = change.report.id.as_str();
        for m in &change.messages {
            sqlx::query(
                "INSERT INTO messages (report_id, kind, author_id, author_label, author_label_sealed, \
                 body_sealed, created_at) VALUES ($1, $2, $3, '', $4, $5, $6)",
            )
            .bind(report_id)
            .bind(m.kind.as_str())
            .bind(m.author.map(|u| u.0))
            // Sealed: a label may name a sender ("Held mail from …").
            .bind(
                self.sealer
                    .seal_str(&message_author_aad(report_id), &m.author_label)?,
            )
            .bind(self.sealer.seal_str(&message_aad(report_id), &m.body)?)
            .bind(change.audit.at.as_microsecond())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Queues the change's mails in the outbox, worded by the site's templates when a
    /// renderer is set; the delivery worker sends them once the transaction commits.
    async fn queue_mails(&self, tx: &mut Tx, change: &Change) -> Result<()> {
        let now = change.audit.at.as_microsecond();
        for mail in &change.mails {
            let (subject, body) = match &self.renderer {
                Some(r) => r.render(&change.report, mail),
                None => (mail.subject.clone(), mail.body.clone()),
            };
            // Kept in clear (no address): whether the reporter got it, so that a member's
            // mail answering it may be relayed and an answer to anything else may not.
            let audience = if mail.reaches_reporter(&change.report) {
                "reporter"
            } else {
                "team"
            };
            let report = Some(change.report.id.as_str());
            self.insert_outbox(tx, report, mail, (&subject, &body), audience, now)
                .await?;
        }
        Ok(())
    }

    /// One queued mail, sealed, in the caller's transaction (`report` `None` for a
    /// mail about no report, such as a statement's expiry).
    pub(crate) async fn insert_outbox(
        &self,
        tx: &mut Tx,
        report: Option<&str>,
        mail: &OutgoingMail,
        (subject, body): (&str, &str),
        audience: &str,
        now: i64,
    ) -> Result<()> {
        let message_id = new_message_id(&self.mail_domain);
        // Who it speaks for, whom it comes from, the announcement destination it serves.
        let sending = self.sending_columns(&message_id, mail)?;
        sqlx::query(
            "INSERT INTO outbox (report_id, message_id, to_sealed, cc_sealed, subject_sealed, body_sealed, \
             state, attempts, next_attempt_at, created_at, audience, origin, from_sealed, destination_sealed) \
             VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $8, $9, $10, $11, $12)",
        )
        .bind(report)
        .bind(&message_id)
        .bind(self.sealer.seal_str(&outbox_to_aad(&message_id), &addresses_json(&mail.to)?)?)
        .bind(self.sealer.seal_str(&outbox_cc_aad(&message_id), &addresses_json(&mail.cc)?)?)
        .bind(self.sealer.seal_str(&outbox_subject_aad(&message_id), subject)?)
        .bind(self.sealer.seal_str(&outbox_body_aad(&message_id), body)?)
        .bind(now)
        .bind(now)
        .bind(audience)
        .bind(sending.origin)
        .bind(sending.from_sealed)
        .bind(sending.destination_sealed)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    fn decode_report(&self, row: &AnyRow) -> Result<Report> {
        let id: String = row.try_get("id")?;
        let content: Vec<u8> = row.try_get("content_sealed")?;
        let json = self.sealer.open(report_aad(&id).as_bytes(), &content)?;
        let mut report = report_from_json(&json)
            .map_err(|e| StoreError::Corrupt(format!("report {id} does not parse: {e}")))?;
        if report.id.as_str() != id {
            return Err(StoreError::Corrupt(format!(
                "report row {id} holds another report"
            )));
        }
        // The columns are authoritative for what the store itself maintains: the
        // version, and the project's current slug and name.
        report.version = row.try_get("version")?;
        report.project = project_ref(row)?;
        Ok(report)
    }

    pub(crate) async fn fetch_report(&self, column: &str, value: &str) -> Result<Option<Report>> {
        let sql = format!(
            "SELECT r.id, r.content_sealed, r.version, r.project_id, p.slug, p.name, p.trusted \
             FROM reports r LEFT JOIN projects p ON p.id = r.project_id WHERE r.{column} = $1"
        );
        let row = sqlx::query(&sql)
            .bind(value)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| self.decode_report(&r)).transpose()
    }

    /// A dashboard row, joined as `list_reports` selects it.
    pub(crate) fn decode_summary(&self, row: &AnyRow) -> Result<ReportSummary> {
        let id: String = row.try_get("id")?;
        let title: Vec<u8> = row.try_get("title_sealed")?;
        let state: String = row.try_get("state")?;
        Ok(ReportSummary {
            title: self.open_title(&id, &title)?,
            id: report_id(&id)?,
            project: project_ref(row)?,
            state: ReportState::parse(&state)
                .map_err(|e| StoreError::Corrupt(format!("stored state: {e}")))?,
            received_at: timestamp(row.try_get("received_at")?)?,
            next_due: row
                .try_get::<Option<i64>, _>("next_due")?
                .map(timestamp)
                .transpose()?,
            cve: self.listed_cve(&id, row)?,
            triage: triage_mark(row)?,
            owner: match row.try_get::<Option<i64>, _>("owner_id")? {
                Some(id) => Some(crate::model::OwnerRef {
                    id: embargo_domain::ids::UserId(id),
                    email: row.try_get("owner_email")?,
                    name: row.try_get("owner_name")?,
                }),
                None => None,
            },
            updated_at: timestamp(row.try_get("updated_at")?)?,
        })
    }

    /// A list row's title. One that does not open (sealed by a node started with
    /// another data key) is flagged as such rather than taking the whole list down,
    /// and logged once per store, by report id only.
    fn open_title(&self, id: &str, sealed: &[u8]) -> Result<String> {
        match self.sealer.open_string(&title_aad(id), sealed) {
            Ok(title) => Ok(title),
            Err(StoreError::Corrupt(_)) => {
                if !self
                    .unreadable_logged
                    .swap(true, std::sync::atomic::Ordering::Relaxed)
                {
                    tracing::warn!(
                        report = id,
                        "a report's title does not open with this data key: it was sealed \
                         with another key; the report is listed as unreadable"
                    );
                }
                Ok(crate::seal::UNREADABLE_TITLE.to_string())
            }
            Err(e) => Err(e),
        }
    }

    fn decode_outbox_entry(&self, row: &AnyRow) -> Result<OutboxEntry> {
        let message_id: String = row.try_get("message_id")?;
        let open = |aad: String, column: &str| -> Result<String> {
            self.sealer
                .open_string(&aad, &row.try_get::<Vec<u8>, _>(column)?)
        };
        Ok(OutboxEntry {
            id: row.try_get("id")?,
            to: addresses(&open(outbox_to_aad(&message_id), "to_sealed")?)?,
            cc: addresses(&open(outbox_cc_aad(&message_id), "cc_sealed")?)?,
            subject: open(outbox_subject_aad(&message_id), "subject_sealed")?,
            state: row.try_get("state")?,
            attempts: row.try_get("attempts")?,
            last_error: row.try_get("last_error")?,
            created_at: timestamp(row.try_get("created_at")?)?,
        })
    }
}

/// Takes `cve` from the pool; only a free id can be taken, which is what keeps two
/// reports from being given the same id. The pool keeps no link to the report nor the
/// time (migration 0020): the report's sealed content holds its id.
async fn claim_cve(tx: &mut Tx, cve: &CveId) -> Result<()> {
    let claimed =
        sqlx::query("UPDATE cve_pool SET state = 'assigned' WHERE cve_id = $1 AND state = 'free'")
            .bind(cve.to_string())
            .execute(&mut **tx)
            .await?
            .rows_affected();
    if claimed == 0 {
        return Err(StoreError::CveTaken(cve.clone()));
    }
    Ok(())
}

#[async_trait]
impl Reports for SqlStore {
    async fn create_report(&self, change: &Change, status_token: &TokenDigest) -> Result<Report> {
        if let Some(group) = &self.group {
            let work = Work::Report {
                change: Box::new(change.clone()),
                status_token: status_token.clone(),
            };
            return match self.group_write(group, work).await? {
                Done::Report(report) => Ok(*report),
                Done::Mail(_) => unreachable!("a report job answers with a report"),
            };
        }
        let mut tx = self.begin_write().await?;
        let report = self.create_report_in(&mut tx, change, status_token).await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn create_reports(&self, batch: &[(Change, TokenDigest)]) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        for (change, status_token) in batch {
            self.create_report_in(&mut tx, change, status_token).await?;
        }
        tx.commit().await?;
        Ok(batch.len())
    }

    async fn checkpoint(&self) -> Result<()> {
        self.checkpoint_wal().await
    }

    fn intake_commits(&self) -> Option<crate::IntakeCommits> {
        self.group.as_ref().map(|g| g.figures())
    }

    async fn report(&self, id: &ReportId) -> Result<Option<Report>> {
        self.fetch_report("id", id.as_str()).await
    }

    async fn report_by_status_token(&self, digest: &TokenDigest) -> Result<Option<Report>> {
        self.fetch_report("status_token_digest", digest.as_str())
            .await
    }

    async fn apply(&self, change: &Change) -> Result<Report> {
        let mut tx = self.begin_write().await?;
        let report = self.apply_in(&mut tx, change).await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn apply_both(&self, first: &Change, second: &Change) -> Result<(Report, Report)> {
        if first.report.id == second.report.id {
            // The second version check would fail on the first's write anyway; say
            // what is wrong instead of calling it stale.
            return Err(StoreError::Conflict(
                "both changes are of the same report".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        // An error returns before the commit: the transaction rolls back on drop.
        let a = self.apply_in(&mut tx, first).await?;
        let b = self.apply_in(&mut tx, second).await?;
        tx.commit().await?;
        Ok((a, b))
    }

    async fn apply_all(&self, changes: &[Change]) -> Result<Vec<Report>> {
        for (i, c) in changes.iter().enumerate() {
            if changes[..i].iter().any(|o| o.report.id == c.report.id) {
                return Err(StoreError::Conflict(
                    "two changes are of the same report".into(),
                ));
            }
        }
        let mut tx = self.begin_write().await?;
        let mut stored = Vec::with_capacity(changes.len());
        for c in changes {
            // An error returns before the commit: the transaction rolls back on drop.
            stored.push(self.apply_in(&mut tx, c).await?);
        }
        tx.commit().await?;
        Ok(stored)
    }

    async fn apply_and_create(
        &self,
        original: &Change,
        created: &Change,
        status_token: &TokenDigest,
    ) -> Result<(Report, Report)> {
        let mut tx = self.begin_write().await?;
        let a = self.apply_in(&mut tx, original).await?;
        let b = self
            .create_report_in(&mut tx, created, status_token)
            .await?;
        tx.commit().await?;
        Ok((a, b))
    }

    async fn list_reports(&self, filter: &ReportFilter) -> Result<Vec<ReportSummary>> {
        self.list(filter).await
    }

    async fn backfill_search(&self, batch: u32) -> Result<u64> {
        self.backfill_search_batch(batch).await
    }

    async fn count_reports(&self, filter: &ReportFilter) -> Result<i64> {
        self.count(filter).await
    }

    async fn messages(&self, id: &ReportId) -> Result<Vec<Message>> {
        let rows = sqlx::query(
            "SELECT id, kind, author_id, author_label, author_label_sealed, body_sealed, created_at \
             FROM messages WHERE report_id = $1 ORDER BY id",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        let aad = message_aad(id.as_str());
        let label_aad = message_author_aad(id.as_str());
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                let body: Vec<u8> = row.try_get("body_sealed")?;
                Ok(Message {
                    id: row.try_get("id")?,
                    kind: MessageKind::parse(&kind).ok_or_else(|| {
                        StoreError::Corrupt(format!("stored message kind {kind:?}"))
                    })?,
                    author: row.try_get::<Option<i64>, _>("author_id")?.map(UserId),
                    author_label: match row.try_get::<Option<Vec<u8>>, _>("author_label_sealed")? {
                        Some(sealed) => self.sealer.open_string(&label_aad, &sealed)?,
                        None => row.try_get("author_label")?,
                    },
                    body: self.sealer.open_string(&aad, &body)?,
                    created_at: timestamp(row.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    async fn audit_log(&self, id: &ReportId) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT report_id, at, actor, action, detail, detail_sealed FROM audit \
             WHERE report_id = $1 ORDER BY id",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| self.decode_audit(row)).collect()
    }

    async fn outbox_for_report(&self, id: &ReportId) -> Result<Vec<OutboxEntry>> {
        let rows = sqlx::query(
            "SELECT id, message_id, to_sealed, cc_sealed, subject_sealed, state, attempts, last_error, created_at \
             FROM outbox WHERE report_id = $1 ORDER BY id",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| self.decode_outbox_entry(row))
            .collect()
    }

    async fn due_reports(&self, by: jiff::Timestamp) -> Result<Vec<Report>> {
        self.due_for_nudges(by).await
    }

    async fn record_nudge(
        &self,
        report: &Report,
        nudge: (&str, &str, jiff::Timestamp),
        mail: &embargo_domain::report::OutgoingMail,
        audit: &AuditEntry,
    ) -> Result<bool> {
        self.nudge(report, nudge, mail, audit).await
    }

    fn blind_key(&self) -> &embargo_domain::blind::BlindKey {
        self.sealer.blind_key()
    }

    async fn duplicate_candidates(
        &self,
        project: Option<ProjectId>,
        marks: &[i64],
    ) -> Result<Vec<embargo_domain::triage::duplicate::Candidate>> {
        self.candidates(project, marks).await
    }
}

/// The clear triage columns of a report row.
fn triage_mark(row: &AnyRow) -> Result<Option<TriageMark>> {
    let class: Option<String> = row.try_get("triage_class")?;
    let status: Option<String> = row.try_get("triage_status")?;
    let (Some(class), Some(status)) = (class, status) else {
        return Ok(None);
    };
    Ok(Some(TriageMark {
        class: TriageClass::parse(&class)
            .map_err(|e| StoreError::Corrupt(format!("stored triage class: {e}")))?,
        status: status
            .parse::<TriageStatus>()
            .map_err(|_| StoreError::Corrupt(format!("stored triage status {status:?}")))?,
    }))
}
