//! Sender rules, for the organisation team: block or throttle a sender address or
//! domain (with a reason), list the rules, lift one; every add and lift audited. And
//! what the rules say about a sender, for every door that takes a report: mail intake
//! (`App::screen_sender`, one call at the start of `take_mail`), the web form and the
//! API ([`App::sender_verdict`]). The rules are in docs/mail.md, "Held mail and sender
//! controls"; the matching is the domain's (`embargo_domain::senders`).
//!
//! Decided here: a block holds every message of the sender, replies on a thread
//! included (their own report's too: else the subject token of any report would be a
//! way around the block); a throttle limits new reports only, so a throttled
//! reporter's replies still reach their report. Team members are never held by a rule
//! (their mail must reach the reports they handle). A release from the held list is
//! the team's decision and is not checked again.

use embargo_domain::access::{Actor, Member};
use embargo_domain::ids::Email;
use embargo_domain::report::AuditEntry;
use embargo_domain::senders::{self, SenderAction, SenderPattern, patterns_for};
use embargo_store::{
    HeldCategory, NewHeldMail, NewSenderRule, SenderCheck, SenderRuleInfo, StoreError,
};
use jiff::Timestamp;
use serde::Deserialize;

use crate::App;
use crate::error::{Error, Result};
use crate::held::require_org_team;
use crate::mail_intake::{Automatic, InboundMail, Outcome};

/// What the rules say about a sender who is about to make a new report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SenderVerdict {
    /// Blocked; `reason` is the team's (internal: never show it to the sender, never
    /// store it in clear).
    Blocked { reason: String },
    /// Over a throttle's daily limit.
    Throttled,
}

impl SenderVerdict {
    /// The held list's reason for a submission this verdict holds (no address, no
    /// team text).
    pub fn held_reason(&self) -> String {
        match self {
            Self::Blocked { .. } => HeldCategory::BlockedSender.reason("sender rule"),
            Self::Throttled => HeldCategory::ThrottledSender.reason("over the daily limit"),
        }
    }
}

/// A rule to add, as the doors get it (form, JSON body, command line).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SenderRuleRequest {
    /// An address (`mallory@example.com`) or a domain (`@spam.example` or
    /// `spam.example`, subdomains included).
    #[serde(default)]
    pub pattern: String,
    /// `block` or `throttle`.
    #[serde(default)]
    pub action: String,
    /// For `throttle`: new reports a day (1 to 1000; 3 when left out).
    #[serde(default)]
    pub per_day: Option<u32>,
    /// Why (required; one line; kept sealed with the rule).
    #[serde(default)]
    pub reason: String,
}

/// Why a rule is lifted.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiftRequest {
    /// Required; one line; kept sealed with the rule.
    #[serde(default)]
    pub reason: String,
}

impl App {
    /// The rules in force (oldest first) or, with `lifted`, the lifted ones (newest
    /// first).
    pub async fn sender_rules(&self, member: &Member, lifted: bool) -> Result<Vec<SenderRuleInfo>> {
        require_org_team(member)?;
        Ok(self.store().sender_rules(lifted).await?)
    }

    /// Blocks or throttles a sender. Bad input, a pattern that would hold the
    /// organisation's or a project's own address, a pattern with a rule in force, or
    /// too many rules: refused, nothing changes.
    pub async fn add_sender_rule(
        &self,
        member: &Member,
        req: &SenderRuleRequest,
    ) -> Result<SenderRuleInfo> {
        require_org_team(member)?;
        let pattern = SenderPattern::parse(&req.pattern)?;
        let action = SenderAction::parse(&req.action, req.per_day)?;
        let reason = senders::reason(&req.reason)?;
        self.refuse_own_addresses(&pattern).await?;
        let rule = NewSenderRule {
            pattern: &pattern,
            action,
            reason: &reason,
        };
        let actor = Actor::Member(member.clone()).audit_name();
        match self
            .store()
            .add_sender_rule(&rule, member.id, &actor, Timestamp::now())
            .await
        {
            Err(StoreError::Duplicate(_)) => Err(Error::Conflict(format!(
                "a rule for {pattern} is in force already; lift it first to change it"
            ))),
            Err(StoreError::Conflict(m)) => Err(Error::Conflict(m)),
            other => Ok(other?),
        }
    }

    /// The latest audit entries that belong to no report (held-mail discards, sender
    /// rules added and lifted), newest first: who did what, and when.
    pub async fn organisation_audit(&self, member: &Member, limit: u32) -> Result<Vec<AuditEntry>> {
        require_org_team(member)?;
        Ok(self.store().organisation_audit(limit).await?)
    }

    /// Lifts a rule in force (audited); its sender's mail is taken as any other again.
    pub async fn lift_sender_rule(
        &self,
        member: &Member,
        id: i64,
        reason: &str,
    ) -> Result<SenderRuleInfo> {
        require_org_team(member)?;
        let reason = senders::reason(reason)?;
        let actor = Actor::Member(member.clone()).audit_name();
        match self
            .store()
            .lift_sender_rule(id, &reason, member.id, &actor, Timestamp::now())
            .await
        {
            Err(StoreError::Conflict(m)) => Err(Error::Conflict(m)),
            other => Ok(other?),
        }
    }

    /// What the rules say about `email` making a new report now (the web form, the
    /// API): `None` lets it through. Under a throttle, a `None` takes one of the day's
    /// places, so call it once per report, right before creating it. Never opens
    /// report content: a throttle counts the reports it let through.
    pub async fn sender_verdict(
        &self,
        email: &Email,
        now: Timestamp,
    ) -> Result<Option<SenderVerdict>> {
        let patterns = patterns_for(email.as_str());
        if patterns.is_empty() {
            return Ok(None);
        }
        // Most senders match no rule: one read tells, before the member lookup and the
        // throttle count (which writes) are needed.
        if !self.store().sender_ruled(&patterns).await?
            || self.member_by_email(email.as_str()).await?.is_some()
        {
            return Ok(None);
        }
        Ok(
            match self.store().check_sender(&patterns, true, now).await? {
                SenderCheck::Open | SenderCheck::Admitted => None,
                SenderCheck::Blocked { reason, .. } => Some(SenderVerdict::Blocked { reason }),
                SenderCheck::Throttled { .. } => Some(SenderVerdict::Throttled),
            },
        )
    }

    /// Mail intake's check, before anything else is decided: a message a rule holds
    /// goes to the held list (never answered, never a report); `None` lets it go on.
    /// Bounces and auto-replies are left to their own rule (held anyway).
    pub(crate) async fn screen_sender(
        &self,
        mail: &InboundMail,
        raw: &[u8],
        automatic: Option<Automatic>,
    ) -> Result<Option<Outcome>> {
        if automatic.is_some() {
            return Ok(None);
        }
        // The author (a list's relay names them) and the From address alike.
        let mut addresses: Vec<&str> = Vec::new();
        for sender in [mail.author.as_ref(), mail.from.as_ref()]
            .into_iter()
            .flatten()
        {
            if !addresses
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&sender.address))
            {
                addresses.push(&sender.address);
            }
        }
        let mut patterns: Vec<SenderPattern> = Vec::new();
        for address in &addresses {
            for p in patterns_for(address) {
                if !patterns.contains(&p) {
                    patterns.push(p);
                }
            }
        }
        if patterns.is_empty() {
            return Ok(None);
        }
        for address in &addresses {
            if self.member_by_email(address).await?.is_some() {
                return Ok(None);
            }
        }
        let new_report = self.thread(mail).await?.is_none();
        let now = Timestamp::now();
        let reason = match self
            .store()
            .check_sender(&patterns, new_report, now)
            .await?
        {
            SenderCheck::Open | SenderCheck::Admitted => return Ok(None),
            SenderCheck::Blocked { rule, .. } => {
                HeldCategory::BlockedSender.reason(&format!("sender rule #{rule}"))
            }
            SenderCheck::Throttled { rule, per_day } => HeldCategory::ThrottledSender.reason(
                &format!("sender rule #{rule}, over {per_day} reports a day"),
            ),
        };
        let held = NewHeldMail {
            message_id: &mail.message_id,
            raw,
            reason: &reason,
            from: mail.from.as_ref().map(|f| f.address.as_str()),
            subject: &mail.subject,
            received_at: now,
        };
        Ok(Some(match self.store().hold_mail(&held).await? {
            Some(id) => Outcome::HeldForReview(id),
            None => Outcome::Duplicate,
        }))
    }

    /// A rule must not hold the mail that carries reports to us: the organisation's
    /// address and the projects' security lists.
    async fn refuse_own_addresses(&self, pattern: &SenderPattern) -> Result<()> {
        let mut own = vec![self.settings().organisation.security_email.clone()];
        own.extend(
            self.store()
                .list_projects()
                .await?
                .into_iter()
                .filter_map(|p| p.security_email),
        );
        match own.iter().find(|a| pattern.matches(a.as_str())) {
            Some(address) => Err(Error::invalid(
                "pattern",
                format!(
                    "{pattern} would hold mail from {address}, an address reports come \
                     through; name the sender's own address or domain"
                ),
            )),
            None => Ok(()),
        }
    }
}
