//! Clocks that act: before a report's next deadline its handling team gets a
//! reminder, and on a breach the organisation team is told (docs/process.md#deadlines).
//! This module decides which nudge is due for a report at a time and words it; the
//! server's pass sends each nudge once (the store records it with the mail).
//!
//! A pass that runs after a deadline has passed (a server started late) sends the
//! escalation only: a reminder of a deadline already missed tells nobody anything.

use jiff::{SignedDuration, Timestamp};
use strum::IntoStaticStr;

use crate::lifecycle::Contacts;
use crate::report::{AuditEntry, OutgoingMail, Report};
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
}

/// What the clock says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Nudge {
    /// To the handling team, [`REMIND_BEFORE`] the deadline.
    Reminder,
    /// To the organisation team (the handling team copied): the deadline passed.
    Escalation,
}

impl Nudge {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl Deadline {
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

/// The nudge due for a deadline at `due`, at `now`: none yet, the reminder, or (past
/// it) the escalation.
pub fn nudge_due(due: Timestamp, now: Timestamp) -> Option<Nudge> {
    if now >= due {
        Some(Nudge::Escalation)
    } else if now >= due - REMIND_BEFORE {
        Some(Nudge::Reminder)
    } else {
        None
    }
}

/// The nudge's mail and the audit line that records it on the report. `page` is the
/// report's page for the team.
pub fn nudge(
    report: &Report,
    (deadline, due): (Deadline, Timestamp),
    nudge: Nudge,
    now: Timestamp,
    contacts: &Contacts,
    page: &str,
) -> (OutgoingMail, AuditEntry) {
    let project = report
        .project
        .as_ref()
        .map_or("an unrouted report".to_string(), |p| p.name.clone());
    let (to, cc, subject, lead) = match nudge {
        Nudge::Reminder => (
            contacts.team.clone(),
            vec![],
            format!("[{}] Reminder: {} by {due}", report.id, deadline.as_str()),
            format!("The deadline to {} falls within a day", deadline.words()),
        ),
        Nudge::Escalation => (
            contacts.org_security.clone(),
            (contacts.team != contacts.org_security)
                .then(|| contacts.team.clone())
                .into_iter()
                .collect(),
            format!(
                "[{}] Overdue: {} was due {due}",
                report.id,
                deadline.as_str()
            ),
            format!(
                "The deadline to {} has passed without it ({project})",
                deadline.words()
            ),
        ),
    };
    let mail = OutgoingMail {
        to: vec![to],
        cc,
        subject,
        body: format!(
            "{lead}: due {due} (UTC).\nReport {id}, state {state}.\n\n{page}\n",
            id = report.id,
            state = report.state.label(),
        ),
        notice: None,
    };
    let audit = AuditEntry {
        at: now,
        actor: "system".into(),
        action: nudge.as_str().into(),
        detail: format!("{} due {due}", deadline.as_str()),
    };
    (mail, audit)
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
}
