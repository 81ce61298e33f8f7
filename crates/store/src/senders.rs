//! Sender rules: the organisation team's blocks and throttles of a sender address or
//! domain, and the count of reports each throttle let through.
//!
//! A copy of the database must not say whom the team blocked. A rule is found by the
//! blind mark of its pattern (`address:<address>` or `domain:<domain>`, keyed with the
//! installation's blind key, derived from the data key); the pattern itself and the
//! reasons are sealed, opened only for the team's list and to confirm a match. A
//! throttle's count holds its rule id and a time, nothing about the sender.
//!
//! Rules are lifted, never deleted: the row keeps who lifted it and why; adding and
//! lifting each write an organisation-level audit entry (no report) naming the rule by
//! its number, as a held-mail discard does.

use async_trait::async_trait;
use embargo_domain::ids::UserId;
use embargo_domain::report::AuditEntry;
use embargo_domain::senders::{
    MAX_ACTIVE_RULES, MatchedRule, PatternScope, Screening, SenderAction, SenderPattern, screen,
};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sql::codec::{timestamp, unique_conflict};
use crate::{Result, SqlStore, StoreError};

/// What a throttle counts: the reports of the last day.
const WINDOW: SignedDuration = SignedDuration::from_hours(24);
/// Most lifted rules one listing shows, newest first.
pub const MAX_LIFTED_LISTED: u32 = 500;
/// Most organisation-level audit entries one listing shows, newest first.
pub const MAX_ORG_AUDIT_LISTED: u32 = 500;
/// The purpose of the rules' blind marks (a mark of another purpose never matches).
const PURPOSE: &[u8] = b"sender-rule";

/// A rule to add.
#[derive(Debug, Clone, Copy)]
pub struct NewSenderRule<'a> {
    pub pattern: &'a SenderPattern,
    pub action: SenderAction,
    /// Checked by the domain (`senders::reason`); sealed.
    pub reason: &'a str,
}

/// A rule as the team's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SenderRuleInfo {
    pub id: i64,
    /// `mallory@example.com` or `@spam.example`.
    pub pattern: String,
    pub scope: PatternScope,
    pub action: SenderAction,
    pub reason: String,
    pub created_at: Timestamp,
    /// The member's address.
    pub created_by: String,
    pub lifted_at: Option<Timestamp>,
    pub lifted_by: Option<String>,
    pub lift_reason: Option<String>,
}

/// What the rules in force say about a sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SenderCheck {
    /// No rule applies.
    Open,
    /// Throttled, under the limit: let through and counted.
    Admitted,
    /// Blocked by this rule, for this reason (the team's, sealed at rest).
    Blocked { rule: i64, reason: String },
    /// A throttle at its daily limit.
    Throttled { rule: i64, per_day: u32 },
}

/// The organisation team's sender rules.
#[async_trait]
pub trait SenderRules: Send + Sync {
    /// Adds a rule and its audit entry; `Duplicate` if a rule for this pattern is in
    /// force, `Conflict` if [`MAX_ACTIVE_RULES`] are.
    async fn add_sender_rule(
        &self,
        rule: &NewSenderRule<'_>,
        by: UserId,
        actor: &str,
        now: Timestamp,
    ) -> Result<SenderRuleInfo>;
    /// Lifts a rule in force, with its audit entry; `NotFound` if there is no such
    /// rule, `Conflict` if it was lifted already.
    async fn lift_sender_rule(
        &self,
        id: i64,
        reason: &str,
        by: UserId,
        actor: &str,
        now: Timestamp,
    ) -> Result<SenderRuleInfo>;
    /// The rules in force (oldest first), or the lifted ones (newest first, at most
    /// [`MAX_LIFTED_LISTED`]).
    async fn sender_rules(&self, lifted: bool) -> Result<Vec<SenderRuleInfo>>;
    async fn sender_rule(&self, id: i64) -> Result<Option<SenderRuleInfo>>;
    /// What the rules in force say about mail from a sender with these `patterns`
    /// (`senders::patterns_for` of each address). With `new_report` throttles apply,
    /// and a message let through is counted against them in the transaction that
    /// counted; without, only blocks do.
    async fn check_sender(
        &self,
        patterns: &[SenderPattern],
        new_report: bool,
        now: Timestamp,
    ) -> Result<SenderCheck>;
    /// Whether any rule in force matches one of `patterns` (one read, no write): most
    /// senders match none, and then nothing else need be asked.
    async fn sender_ruled(&self, patterns: &[SenderPattern]) -> Result<bool>;
    /// The audit entries that belong to no report (held-mail discards, sender rules),
    /// newest first, at most `limit` (capped at [`MAX_ORG_AUDIT_LISTED`]).
    async fn organisation_audit(&self, limit: u32) -> Result<Vec<AuditEntry>>;
}

fn pattern_aad(mark: i64, created_at: i64) -> String {
    format!("sender-rule-pattern:{mark}:{created_at}")
}
fn reason_aad(mark: i64, created_at: i64) -> String {
    format!("sender-rule-reason:{mark}:{created_at}")
}
fn lift_reason_aad(mark: i64, created_at: i64) -> String {
    format!("sender-rule-lift-reason:{mark}:{created_at}")
}

const RULE_COLUMNS: &str = "r.id, r.mark, r.scope, r.action, r.per_day, r.pattern_sealed, \
     r.reason_sealed, r.created_at, c.email AS created_by, r.lifted_at, l.email AS lifted_by, \
     r.lift_reason_sealed";
const RULE_FROM: &str = "sender_rules r JOIN users c ON c.id = r.created_by \
     LEFT JOIN users l ON l.id = r.lifted_by";

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl SqlStore {
    fn sender_mark(&self, pattern: &SenderPattern) -> i64 {
        self.sealer
            .blind_key()
            .mark(PURPOSE, pattern.key().as_bytes())
    }

    fn decode_rule(&self, row: &AnyRow) -> Result<SenderRuleInfo> {
        let mark: i64 = row.try_get("mark")?;
        let created: i64 = row.try_get("created_at")?;
        let scope: String = row.try_get("scope")?;
        let action: String = row.try_get("action")?;
        let per_day = row
            .try_get::<Option<i64>, _>("per_day")?
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        let corrupt = |what: &str| StoreError::Corrupt(format!("sender rule: {what}"));
        let action = match (action.as_str(), per_day) {
            ("block", None) => SenderAction::Block,
            ("throttle", Some(per_day)) => SenderAction::Throttle { per_day },
            _ => return Err(corrupt("action")),
        };
        let lift_reason = row
            .try_get::<Option<Vec<u8>>, _>("lift_reason_sealed")?
            .map(|sealed| {
                self.sealer
                    .open_string(&lift_reason_aad(mark, created), &sealed)
            })
            .transpose()?;
        Ok(SenderRuleInfo {
            id: row.try_get("id")?,
            pattern: self.sealer.open_string(
                &pattern_aad(mark, created),
                &row.try_get::<Vec<u8>, _>("pattern_sealed")?,
            )?,
            scope: PatternScope::parse(&scope).ok_or_else(|| corrupt("scope"))?,
            action,
            reason: self.sealer.open_string(
                &reason_aad(mark, created),
                &row.try_get::<Vec<u8>, _>("reason_sealed")?,
            )?,
            created_at: timestamp(created)?,
            created_by: row.try_get("created_by")?,
            lifted_at: row
                .try_get::<Option<i64>, _>("lifted_at")?
                .map(timestamp)
                .transpose()?,
            lifted_by: row.try_get("lifted_by")?,
            lift_reason,
        })
    }

    /// The rules in force among `patterns`, each confirmed by its opened pattern (a
    /// mark is a truncated hash: a collision must not hold anybody's mail).
    async fn rules_in_force(
        &self,
        patterns: &[SenderPattern],
    ) -> Result<Vec<(SenderRuleInfo, SenderPattern)>> {
        if patterns.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {RULE_COLUMNS} FROM {RULE_FROM} WHERE r.lifted_at IS NULL AND r.mark IN ({})",
            placeholders(1, patterns.len())
        );
        let mut query = sqlx::query(&sql);
        for p in patterns {
            query = query.bind(self.sender_mark(p));
        }
        let mut found = Vec::new();
        for row in query.fetch_all(&self.pool).await? {
            let rule = self.decode_rule(&row)?;
            if let Ok(p) = SenderPattern::parse(&rule.pattern)
                && patterns.contains(&p)
            {
                found.push((rule, p));
            }
        }
        Ok(found)
    }

    /// Counts a report against the throttles among `rules`, unless one is at its
    /// limit; in one transaction, so that two messages cannot take the last place.
    async fn admit(&self, rules: &[MatchedRule], now: Timestamp) -> Result<SenderCheck> {
        let since = (now - WINDOW).as_microsecond();
        let mut tx = self.begin_write().await?;
        // SQLite's write transaction already excludes every other writer; PostgreSQL
        // locks the rules counted (in id order, so that two checks never deadlock).
        if self.backend() == "postgres" {
            let mut ids: Vec<i64> = rules.iter().map(|r| r.id).collect();
            ids.sort_unstable();
            for id in ids {
                sqlx::query("SELECT id FROM sender_rules WHERE id = $1 FOR UPDATE")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            }
        }
        let mut counted = Vec::with_capacity(rules.len());
        for rule in rules {
            let n: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM sender_rule_hits WHERE rule_id = $1 AND at > $2",
            )
            .bind(rule.id)
            .bind(since)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            counted.push(MatchedRule {
                recent: u32::try_from(n).unwrap_or(u32::MAX),
                ..*rule
            });
        }
        let check = match screen(&counted) {
            Screening::Open => SenderCheck::Open,
            Screening::Blocked(rule) => SenderCheck::Blocked {
                rule,
                reason: String::new(),
            },
            Screening::Throttled(rule) => SenderCheck::Throttled {
                rule,
                per_day: counted
                    .iter()
                    .find(|r| r.id == rule)
                    .and_then(|r| match r.action {
                        SenderAction::Throttle { per_day } => Some(per_day),
                        SenderAction::Block => None,
                    })
                    .unwrap_or(0),
            },
            Screening::Admitted(ids) => {
                for id in ids {
                    sqlx::query("DELETE FROM sender_rule_hits WHERE rule_id = $1 AND at <= $2")
                        .bind(id)
                        .bind(since)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("INSERT INTO sender_rule_hits (rule_id, at) VALUES ($1, $2)")
                        .bind(id)
                        .bind(now.as_microsecond())
                        .execute(&mut *tx)
                        .await?;
                }
                SenderCheck::Admitted
            }
        };
        tx.commit().await?;
        Ok(check)
    }

    async fn audit_rule(
        &self,
        tx: &mut crate::sql::Tx,
        actor: &str,
        action: &str,
        detail: String,
        now: Timestamp,
    ) -> Result<()> {
        // Organisation-level: no report, and neither the pattern nor the reason (both
        // sealed on the rule, which the number names).
        sqlx::query(
            "INSERT INTO audit (report_id, at, actor, action, detail) VALUES (NULL, $1, $2, $3, $4)",
        )
        .bind(now.as_microsecond())
        .bind(actor)
        .bind(action)
        .bind(detail)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// `block` or `throttle (3 a day)`, and the scope: what the audit says of a rule.
fn rule_words(action: SenderAction, scope: PatternScope) -> String {
    match action {
        SenderAction::Block => format!("block, {}", scope.as_str()),
        SenderAction::Throttle { per_day } => {
            format!("throttle to {per_day} a day, {}", scope.as_str())
        }
    }
}

#[async_trait]
impl SenderRules for SqlStore {
    async fn add_sender_rule(
        &self,
        rule: &NewSenderRule<'_>,
        by: UserId,
        actor: &str,
        now: Timestamp,
    ) -> Result<SenderRuleInfo> {
        let mark = self.sender_mark(rule.pattern);
        let created = now.as_microsecond();
        let mut tx = self.begin_write().await?;
        let in_force: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM sender_rules WHERE lifted_at IS NULL")
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        if usize::try_from(in_force).unwrap_or(usize::MAX) >= MAX_ACTIVE_RULES {
            return Err(StoreError::Conflict(format!(
                "{MAX_ACTIVE_RULES} sender rules are in force, the most there may be; lift \
                 some first"
            )));
        }
        let per_day = match rule.action {
            SenderAction::Block => None,
            SenderAction::Throttle { per_day } => Some(i64::from(per_day)),
        };
        let pattern = rule.pattern.to_string();
        let inserted = sqlx::query(
            "INSERT INTO sender_rules (mark, scope, action, per_day, pattern_sealed, \
             reason_sealed, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id",
        )
        .bind(mark)
        .bind(rule.pattern.scope().as_str())
        .bind(rule.action.as_str())
        .bind(per_day)
        .bind(
            self.sealer
                .seal_str(&pattern_aad(mark, created), &pattern)?,
        )
        .bind(
            self.sealer
                .seal_str(&reason_aad(mark, created), rule.reason)?,
        )
        .bind(created)
        .bind(by.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_conflict(e, || format!("a rule in force for {pattern}")))?;
        let id: i64 = inserted.try_get("id")?;
        let detail = format!(
            "sender rule #{id}: {}",
            rule_words(rule.action, rule.pattern.scope())
        );
        self.audit_rule(&mut tx, actor, "sender_rule_added", detail, now)
            .await?;
        tx.commit().await?;
        self.sender_rule(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("sender rule #{id}")))
    }

    async fn lift_sender_rule(
        &self,
        id: i64,
        reason: &str,
        by: UserId,
        actor: &str,
        now: Timestamp,
    ) -> Result<SenderRuleInfo> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT mark, created_at, lifted_at FROM sender_rules WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("sender rule #{id}")))?;
        if row.try_get::<Option<i64>, _>("lifted_at")?.is_some() {
            return Err(StoreError::Conflict(format!(
                "sender rule #{id} was lifted already"
            )));
        }
        let mark: i64 = row.try_get("mark")?;
        let created: i64 = row.try_get("created_at")?;
        let n = sqlx::query(
            "UPDATE sender_rules SET lifted_at = $1, lifted_by = $2, lift_reason_sealed = $3 \
             WHERE id = $4 AND lifted_at IS NULL",
        )
        .bind(now.as_microsecond())
        .bind(by.0)
        .bind(
            self.sealer
                .seal_str(&lift_reason_aad(mark, created), reason)?,
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::Conflict(format!(
                "sender rule #{id} was lifted already"
            )));
        }
        self.audit_rule(
            &mut tx,
            actor,
            "sender_rule_lifted",
            format!("sender rule #{id}"),
            now,
        )
        .await?;
        tx.commit().await?;
        self.sender_rule(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("sender rule #{id}")))
    }

    async fn sender_rules(&self, lifted: bool) -> Result<Vec<SenderRuleInfo>> {
        let sql = if lifted {
            format!(
                "SELECT {RULE_COLUMNS} FROM {RULE_FROM} WHERE r.lifted_at IS NOT NULL \
                 ORDER BY r.lifted_at DESC, r.id DESC LIMIT {MAX_LIFTED_LISTED}"
            )
        } else {
            format!(
                "SELECT {RULE_COLUMNS} FROM {RULE_FROM} WHERE r.lifted_at IS NULL ORDER BY r.id"
            )
        };
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(|r| self.decode_rule(r)).collect()
    }

    async fn sender_rule(&self, id: i64) -> Result<Option<SenderRuleInfo>> {
        let row = sqlx::query(&format!(
            "SELECT {RULE_COLUMNS} FROM {RULE_FROM} WHERE r.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| self.decode_rule(&r)).transpose()
    }

    async fn check_sender(
        &self,
        patterns: &[SenderPattern],
        new_report: bool,
        now: Timestamp,
    ) -> Result<SenderCheck> {
        let found = self.rules_in_force(patterns).await?;
        let matched: Vec<MatchedRule> = found
            .iter()
            .map(|(rule, pattern)| MatchedRule {
                id: rule.id,
                scope: pattern.scope(),
                action: rule.action,
                recent: 0,
            })
            .collect();
        match screen(&matched) {
            Screening::Open => Ok(SenderCheck::Open),
            Screening::Blocked(id) => Ok(SenderCheck::Blocked {
                rule: id,
                reason: found
                    .iter()
                    .find(|(r, _)| r.id == id)
                    .map(|(r, _)| r.reason.clone())
                    .unwrap_or_default(),
            }),
            // Throttles limit new reports only; the counts are read where they are written.
            _ if !new_report => Ok(SenderCheck::Open),
            _ => self.admit(&matched, now).await,
        }
    }

    async fn sender_ruled(&self, patterns: &[SenderPattern]) -> Result<bool> {
        Ok(!self.rules_in_force(patterns).await?.is_empty())
    }

    async fn organisation_audit(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT at, actor, action, detail FROM audit WHERE report_id IS NULL \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit.min(MAX_ORG_AUDIT_LISTED)))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    at: timestamp(row.try_get("at")?)?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }
}
