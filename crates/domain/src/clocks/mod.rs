//! Clocks that act (docs/clocks.md). This module owns the rules of every clock a report
//! runs and the words of its nudges; the server's pass (`App::nudge_deadlines`) asks
//! which nudge is due and sends each one once (the store records it with the mail).
//!
//! - the handling deadlines (here): acknowledge, discuss, announce — a reminder to the
//!   handling team a day before, an escalation to the organisation team on a breach;
//! - [`timers`]: the clocks that start on an event rather than a state — a reporter
//!   who has not answered the team, a CVE record not yet published after the
//!   announcement — and the rule of which change starts or stops which clock;
//! - [`cra`]: the EU Cyber Resilience Act's three reports on an actively exploited
//!   vulnerability, and the drafts of them;
//! - [`overdue`]: the organisation's board of what is late.
//!
//! A pass that runs after a deadline has passed (a server started late) sends the
//! escalation only: a reminder of a deadline already missed tells nobody anything.
//! Times in a nudge are given in the project's time zone and in UTC.

pub mod cra;
pub mod overdue;
pub mod timers;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use strum::IntoStaticStr;

use crate::ids::Email;
use crate::lifecycle::Contacts;
use crate::report::{AuditEntry, Notice, NoticeKind, OutgoingMail, Report};
use crate::state::ReportState;

/// How long before a deadline its reminder goes out.
pub const REMIND_BEFORE: SignedDuration = SignedDuration::from_hours(24);

/// The deadline a report's clock runs to (its state says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Deadline {
    /// Acknowledge the report (steps 3-4).
    Acknowledge,
    /// Two members discuss it (step 4).
    Discuss,
    /// Announce it (step 11).
    Announce,
}

impl Deadline {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    fn words(self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge the report to its reporter",
            Self::Discuss => "discuss it (two team members' internal notes)",
            Self::Announce => "announce it",
        }
    }

    /// The deadline a report in `state` runs to, if it has a next deadline at all.
    pub fn of_state(state: ReportState) -> Self {
        match state {
            ReportState::Received => Self::Acknowledge,
            ReportState::Acknowledged => Self::Discuss,
            _ => Self::Announce,
        }
    }

    /// Words for a list: "Acknowledge", "Discuss", "Announce".
    pub fn label(self) -> &'static str {
        match self {
            Self::Acknowledge => "Acknowledge",
            Self::Discuss => "Discuss",
            Self::Announce => "Announce",
        }
    }
}

/// What the clock says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Nudge {
    /// Before the deadline (for a silent reporter: to the reporter).
    Reminder,
    /// The deadline passed (for a silent reporter: the team is told).
    Escalation,
}

impl Nudge {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Who a nudge is meant for; [`recipients`] turns it into addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The report's handling team.
    Team,
    /// The organisation security team, the handling team copied.
    Organisation,
    /// The reporter (only the polite reminder of a silent reporter).
    Reporter,
}

/// The addresses a nudge for `audience` goes to: `(to, cc)`. The one place that
/// chooses them, so that a report's owner (when it has one) can be put first here.
pub fn recipients(
    audience: Audience,
    report: &Report,
    contacts: &Contacts,
) -> Option<(Email, Vec<Email>)> {
    match audience {
        // The owner first, the team copied; without an owner, the team.
        Audience::Team => Some(match &contacts.owner {
            Some(owner) => (owner.clone(), vec![contacts.team.clone()]),
            None => (contacts.team.clone(), vec![]),
        }),
        Audience::Organisation => {
            let mut cc: Vec<Email> = (contacts.team != contacts.org_security)
                .then(|| contacts.team.clone())
                .into_iter()
                .collect();
            cc.extend(contacts.owner.clone());
            Some((contacts.org_security.clone(), cc))
        }
        Audience::Reporter => report.reporter.email.clone().map(|e| (e, vec![])),
    }
}

/// The deadline `report` runs to now, and when it falls.
pub fn deadline(report: &Report) -> Option<(Deadline, Timestamp)> {
    Some((Deadline::of_state(report.state), report.next_due()?))
}

/// How far `due` is from `now`, for people: "in 3 days", "in 5 hours", "2 days late".
pub fn relative(due: Timestamp, now: Timestamp) -> String {
    let secs = due.duration_since(now).as_secs();
    let (n, unit) = match secs.unsigned_abs() {
        s if s >= 2 * 86_400 => (s / 86_400, "days"),
        s if s >= 2 * 3_600 => (s / 3_600, "hours"),
        s => ((s / 60).max(1), "minutes"),
    };
    let unit = if n == 1 {
        unit.trim_end_matches('s')
    } else {
        unit
    };
    if secs >= 0 {
        format!("in {n} {unit}")
    } else {
        format!("{n} {unit} late")
    }
}

/// A time as a nudge gives it: `(local, utc)`, e.g. ("Fri 11 Dec 2026 13:00 CET",
/// "2026-12-11 12:00 UTC"). An unknown zone (checked when the policy is loaded, so
/// it should not happen) shows UTC twice rather than failing.
pub fn shown(t: Timestamp, time_zone: &str) -> (String, String) {
    let tz = TimeZone::get(time_zone).unwrap_or(TimeZone::UTC);
    let local = t.to_zoned(tz).strftime("%a %-d %b %Y %H:%M %Z").to_string();
    let utc = t.strftime("%Y-%m-%d %H:%M UTC").to_string();
    (local, utc)
}

/// The nudge due for a deadline at `due`, at `now`: none yet, the reminder, or (past
/// it) the escalation.
pub fn nudge_due(due: Timestamp, now: Timestamp) -> Option<Nudge> {
    nudge_at(due - REMIND_BEFORE, due, now)
}

/// The nudge due at `now` for a clock that reminds at `remind_at` and escalates at
/// `escalate_at`.
pub fn nudge_at(remind_at: Timestamp, escalate_at: Timestamp, now: Timestamp) -> Option<Nudge> {
    if now >= escalate_at {
        Some(Nudge::Escalation)
    } else if now >= remind_at {
        Some(Nudge::Reminder)
    } else {
        None
    }
}

/// One thing a team nudge is about: its key (the audit's and the store's name), the
/// words for the task, and when it falls due.
#[derive(Debug, Clone)]
pub struct Task {
    pub key: &'static str,
    pub words: String,
    pub due: Timestamp,
}

/// Where a nudge is headed and what it needs to be worded: the report's page for the
/// team and the project's time zone.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub contacts: &'a Contacts,
    pub page: &'a str,
    pub time_zone: &'a str,
}

/// The nudge's mail and the audit line that records it on the report.
pub fn nudge(
    report: &Report,
    (deadline, due): (Deadline, Timestamp),
    nudge: Nudge,
    now: Timestamp,
    place: Place<'_>,
) -> Option<(OutgoingMail, AuditEntry)> {
    let task = Task {
        key: deadline.as_str(),
        words: deadline.words().into(),
        due,
    };
    let audience = match nudge {
        Nudge::Reminder => Audience::Team,
        Nudge::Escalation => Audience::Organisation,
    };
    team_nudge(report, &task, nudge, audience, now, place)
}

/// A reminder or escalation mail to a team about `task`, worded by the
/// `deadline_reminder` / `deadline_overdue` templates, and its audit line.
pub fn team_nudge(
    report: &Report,
    task: &Task,
    nudge: Nudge,
    audience: Audience,
    now: Timestamp,
    place: Place<'_>,
) -> Option<(OutgoingMail, AuditEntry)> {
    let (to, cc) = recipients(audience, report, place.contacts)?;
    let project = report
        .project
        .as_ref()
        .map_or("an unrouted report".to_string(), |p| p.name.clone());
    let (local, utc) = shown(task.due, place.time_zone);
    let (kind, subject, lead) = match nudge {
        Nudge::Reminder => (
            NoticeKind::DeadlineReminder,
            format!("[{}] Reminder: {} by {local}", report.id, task.key),
            format!("The deadline to {} is near", task.words),
        ),
        Nudge::Escalation => (
            NoticeKind::DeadlineOverdue,
            format!("[{}] Overdue: {} was due {local}", report.id, task.key),
            format!(
                "The deadline to {} has passed without it ({project})",
                task.words
            ),
        ),
    };
    let state = report.state.label();
    let mail = OutgoingMail {
        to: vec![to],
        cc,
        subject,
        body: format!(
            "{lead}: due {local} ({utc}).\nReport {id}, state {state}.\n\n{page}\n",
            id = report.id,
            page = place.page,
        ),
        notice: Some(Notice::new(
            kind,
            [
                ("deadline", task.key.to_string()),
                ("deadline_words", task.words.clone()),
                ("due_local", local),
                ("due_utc", utc),
                ("time_zone", place.time_zone.to_string()),
                ("state", state.to_string()),
                ("report_url", place.page.to_string()),
            ],
        )),
        ..Default::default()
    };
    let audit = AuditEntry {
        at: now,
        actor: "system".into(),
        action: nudge.as_str().into(),
        detail: format!("{} due {}", task.key, task.due),
    };
    Some((mail, audit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reminder_a_day_before_and_an_escalation_after() {
        let due: Timestamp = "2026-12-10T12:00:00Z".parse().unwrap();
        let h = SignedDuration::from_hours;
        assert_eq!(nudge_due(due, due - h(25)), None);
        assert_eq!(nudge_due(due, due - h(23)), Some(Nudge::Reminder));
        assert_eq!(nudge_due(due, due), Some(Nudge::Escalation));
        // A pass that starts long after the deadline escalates; it does not remind.
        assert_eq!(nudge_due(due, due + h(24 * 9)), Some(Nudge::Escalation));
        assert_eq!(relative(due, due - h(72)), "in 3 days");
        assert_eq!(relative(due, due - h(5)), "in 5 hours");
        assert_eq!(relative(due, due + h(49)), "2 days late");
        assert_eq!(
            relative(due, due - SignedDuration::from_secs(30)),
            "in 1 minute"
        );
    }

    #[test]
    fn times_are_shown_in_the_projects_zone_and_in_utc() {
        let t: Timestamp = "2026-12-11T12:00:00Z".parse().unwrap();
        let (local, utc) = shown(t, "Europe/Amsterdam");
        assert_eq!(local, "Fri 11 Dec 2026 13:00 CET");
        assert_eq!(utc, "2026-12-11 12:00 UTC");
        let (local, _) = shown(t, "America/New_York");
        assert_eq!(local, "Fri 11 Dec 2026 07:00 EST");
    }

    #[test]
    fn a_nudge_is_a_templated_notice_with_local_and_utc_times() {
        let report = timers::tests::report();
        let contacts = timers::tests::contacts();
        let due: Timestamp = "2026-12-11T12:00:00Z".parse().unwrap();
        let place = Place {
            contacts: &contacts,
            page: "https://s.example.org/reports/x",
            time_zone: "Europe/Amsterdam",
        };
        let (mail, audit) = nudge(
            &report,
            (Deadline::Acknowledge, due),
            Nudge::Escalation,
            due,
            place,
        )
        .unwrap();
        assert_eq!(mail.to[0].as_str(), "security@example.org");
        assert_eq!(mail.cc[0].as_str(), "security@alpha.example.org");
        assert!(
            mail.body
                .contains("Fri 11 Dec 2026 13:00 CET (2026-12-11 12:00 UTC)"),
            "{}",
            mail.body
        );
        let notice = mail.notice.unwrap();
        assert_eq!(notice.kind, NoticeKind::DeadlineOverdue);
        assert_eq!(notice.vars["due_utc"], "2026-12-11 12:00 UTC");
        assert_eq!(audit.action, "escalation");
        assert!(audit.detail.starts_with("acknowledge due "));
    }
}
