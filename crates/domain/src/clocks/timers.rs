//! The clocks that start on an event rather than with a state (docs/clocks.md):
//!
//! - **reporter silent**: the team wrote to the reporter (a reply) and the reporter has
//!   not written since. After the policy's `reporter_silent_days` the reporter gets one
//!   polite reminder; after as many days again the team is told. The reporter's next
//!   message stops it.
//! - **CVE record**: the CNA rules want a CVE record published within 72 hours of the
//!   announcement (24 hours "should"). The organisation team is reminded at 24 hours
//!   and the breach escalated at 72.
//! - the three CRA stages ([`super::cra`]).
//!
//! The store keeps one row per running clock with the time it started ("since"); this
//! module says which change starts or stops which clock ([`on_change`]) and, from the
//! start time and the policy, when each nudge falls ([`schedule`]).

use jiff::{SignedDuration, Timestamp};
use strum::{EnumString, IntoStaticStr, VariantArray};

use super::cra::Stage;
use super::{Audience, Nudge, Task};
use crate::policy::Policy;
use crate::record::RecordState;
use crate::report::{
    AuditEntry, MessageKind, NewMessage, Notice, NoticeKind, OutgoingMail, Report,
};

/// A clock that starts on an event.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    IntoStaticStr,
    EnumString,
    VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Clock {
    ReporterSilent,
    CveRecord,
    CraEarlyWarning,
    CraNotification,
    CraFinalReport,
}

/// The store's name of the anchor that records when the fix was recorded (the CRA's
/// final report is due 14 days after it). It never nudges by itself.
pub const FIXED: &str = "fixed";

impl Clock {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    /// Words for a list.
    pub fn label(self) -> &'static str {
        match self {
            Self::ReporterSilent => "Reporter's answer",
            Self::CveRecord => "Publish the CVE record",
            Self::CraEarlyWarning => "CRA early warning",
            Self::CraNotification => "CRA notification",
            Self::CraFinalReport => "CRA final report",
        }
    }

    /// The task, for a nudge's sentence "the deadline to …".
    pub fn words(self) -> &'static str {
        match self {
            Self::ReporterSilent => "hear back from the reporter",
            Self::CveRecord => "publish the CVE record (72 hours after the announcement)",
            Self::CraEarlyWarning => "send the CRA early warning (24 hours after awareness)",
            Self::CraNotification => {
                "send the CRA vulnerability notification (72 hours after awareness)"
            }
            Self::CraFinalReport => "send the CRA final report (14 days after the fix)",
        }
    }

    /// The CRA stage this clock runs for, if any.
    pub fn stage(self) -> Option<Stage> {
        match self {
            Self::CraEarlyWarning => Some(Stage::EarlyWarning),
            Self::CraNotification => Some(Stage::Notification),
            Self::CraFinalReport => Some(Stage::FinalReport),
            Self::ReporterSilent | Self::CveRecord => None,
        }
    }

    /// Whether a late clock is the team's to catch up on (the overdue board); a silent
    /// reporter is not.
    pub fn is_teams_task(self) -> bool {
        !matches!(self, Self::ReporterSilent)
    }

    /// Who gets each nudge.
    pub fn audience(self, nudge: Nudge) -> Audience {
        match (self, nudge) {
            (Self::ReporterSilent, Nudge::Reminder) => Audience::Reporter,
            (Self::ReporterSilent, Nudge::Escalation) => Audience::Team,
            // The organisation team publishes records: both go to it.
            (Self::CveRecord, _) => Audience::Organisation,
            (_, Nudge::Reminder) => Audience::Team,
            (_, Nudge::Escalation) => Audience::Organisation,
        }
    }
}

/// When a clock started at `since` falls due and when its two nudges go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// The deadline itself (for a silent reporter: when the reporter is reminded).
    pub due: Timestamp,
    pub remind_at: Timestamp,
    pub escalate_at: Timestamp,
}

/// When the CVE Program's rules say the record should be published (24 h) and must be (72 h).
pub const CVE_RECORD_SHOULD: SignedDuration = SignedDuration::from_hours(24);
pub const CVE_RECORD_MUST: SignedDuration = SignedDuration::from_hours(72);

/// The schedule of `clock` started at `since` under `policy`.
pub fn schedule(clock: Clock, since: Timestamp, policy: &Policy) -> Schedule {
    match clock {
        Clock::ReporterSilent => {
            let wait =
                SignedDuration::from_hours(24 * i64::from(policy.reporter_silent_days.max(1)));
            Schedule {
                due: since + wait,
                remind_at: since + wait,
                escalate_at: since + wait + wait,
            }
        }
        Clock::CveRecord => Schedule {
            due: since + CVE_RECORD_MUST,
            remind_at: since + CVE_RECORD_SHOULD,
            escalate_at: since + CVE_RECORD_MUST,
        },
        Clock::CraEarlyWarning | Clock::CraNotification | Clock::CraFinalReport => {
            let stage = clock.stage().unwrap_or(Stage::EarlyWarning);
            let due = since + stage.within();
            Schedule {
                due,
                remind_at: due - stage.remind_before(),
                escalate_at: due,
            }
        }
    }
}

/// What one stored change does to the clocks of its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockWrite {
    /// Start the named clock at this time, unless it runs already (the earliest
    /// unanswered message counts, the first fix counts).
    Start(&'static str, Timestamp),
    /// Stop it: it no longer applies.
    Stop(&'static str),
}

/// The clock writes of a change: `report` as changed, the thread entries it adds, its
/// audit action and time. Pure, so that the store applies it in the change's
/// transaction and never misses a change.
pub fn on_change(
    report: &Report,
    messages: &[NewMessage],
    action: &str,
    at: Timestamp,
) -> Vec<ClockWrite> {
    let mut out = Vec::new();
    let silent = Clock::ReporterSilent.as_str();
    if report.state.is_terminal() || messages.iter().any(|m| m.kind == MessageKind::Reporter) {
        out.push(ClockWrite::Stop(silent));
    } else if action == "reply" && messages.iter().any(|m| m.kind == MessageKind::Team) {
        // A reply asks something of the reporter; an acknowledgement or a state's
        // notice does not.
        out.push(ClockWrite::Start(silent, at));
    }
    let record = Clock::CveRecord.as_str();
    match (report.announced_at, report.record_state()) {
        (_, Some(RecordState::Published | RecordState::Rejected)) => {
            out.push(ClockWrite::Stop(record))
        }
        (Some(announced), Some(_)) => out.push(ClockWrite::Start(record, announced)),
        _ => {}
    }
    if report.fix_ref.is_some() {
        out.push(ClockWrite::Start(FIXED, at));
    }
    out
}

/// Whether `clock` still applies to `report` as it is now (checked again by the pass,
/// whatever the stored row says).
pub fn still_applies(clock: Clock, report: &Report) -> bool {
    match clock {
        Clock::ReporterSilent => !report.state.is_terminal(),
        Clock::CveRecord => !matches!(
            report.record_state(),
            Some(RecordState::Published | RecordState::Rejected) | None
        ),
        Clock::CraEarlyWarning | Clock::CraNotification | Clock::CraFinalReport => true,
    }
}

/// The polite reminder to a silent reporter: it reaches the reporter, so it holds
/// nothing but the report's id and when the team wrote (no title, no team names).
/// Worded by the `reporter_silent` template.
pub fn reporter_reminder(
    report: &Report,
    since: Timestamp,
    days: u32,
    now: Timestamp,
    time_zone: &str,
) -> Option<(OutgoingMail, AuditEntry)> {
    let to = report.reporter.email.clone()?;
    let (local, utc) = super::shown(since, time_zone);
    let mail = OutgoingMail {
        to: vec![to],
        cc: vec![],
        subject: format!("[{}] Your answer to our message", report.id),
        body: format!(
            "Hello,\n\nOn {local} ({utc}) we wrote to you about your report {id} and asked for \
             your answer. We have not heard back yet.\n\nWhen you have a moment, please reply to \
             this mail (or on your report's status page). If you have nothing to add, a short \
             note saying so helps us too.\n\nThank you.\n",
            id = report.id,
        ),
        notice: Some(Notice::new(
            NoticeKind::ReporterSilent,
            [
                ("asked_local", local),
                ("asked_utc", utc),
                ("days", days.to_string()),
            ],
        )),
        ..Default::default()
    };
    Some((
        mail,
        audit(Clock::ReporterSilent, Nudge::Reminder, since, now),
    ))
}

/// The team's notice that the reporter stayed silent a second period.
pub fn reporter_silent_team(
    report: &Report,
    since: Timestamp,
    days: u32,
    now: Timestamp,
    place: super::Place<'_>,
) -> Option<(OutgoingMail, AuditEntry)> {
    let (to, cc) = super::recipients(Audience::Team, report, place.contacts)?;
    let (local, utc) = super::shown(since, place.time_zone);
    let mail = OutgoingMail {
        to: vec![to],
        cc,
        subject: format!("[{}] No answer from the reporter since {local}", report.id),
        body: format!(
            "The team wrote to the reporter on {local} ({utc}); the reporter was reminded after \
             {days} days and has still not answered. Decide whether to go on without them.\n\n{page}\n",
            page = place.page,
        ),
        notice: Some(Notice::new(
            NoticeKind::ReporterSilentTeam,
            [
                ("asked_local", local),
                ("asked_utc", utc),
                ("days", days.to_string()),
                ("report_url", place.page.to_string()),
            ],
        )),
        ..Default::default()
    };
    Some((
        mail,
        audit(Clock::ReporterSilent, Nudge::Escalation, since, now),
    ))
}

/// The nudge of a team clock (CVE record, CRA stage).
pub fn team_clock_nudge(
    report: &Report,
    clock: Clock,
    due: Timestamp,
    nudge: Nudge,
    now: Timestamp,
    place: super::Place<'_>,
) -> Option<(OutgoingMail, AuditEntry)> {
    let task = Task {
        key: clock.as_str(),
        words: clock.words().into(),
        due,
    };
    super::team_nudge(report, &task, nudge, clock.audience(nudge), now, place)
}

fn audit(clock: Clock, nudge: Nudge, due: Timestamp, now: Timestamp) -> AuditEntry {
    AuditEntry {
        at: now,
        actor: "system".into(),
        action: nudge.as_str().into(),
        detail: format!("{} since {due}", clock.as_str()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ids::{Email, ProjectId, ProjectSlug, ReportId};
    use crate::lifecycle::Contacts;
    use crate::report::{Channel, ProjectRef};

    pub(crate) fn report() -> Report {
        let mut r: Report = serde_json::from_value(serde_json::json!({
            "id": "EMB-7F3KQ2M9ZC4D", "project": null, "state": "received",
            "title": "Heap overflow in the parser", "description": "d", "affected_versions": null,
            "reporter": {"name": null, "email": "ann@example.net", "credit": null},
            "channel": "web", "received_at": "2026-12-01T10:00:00Z",
            "acknowledged_at": null, "accepted_at": null, "announced_at": null,
            "deadlines": {"acknowledge_by": null, "discuss_by": null, "announce_by": null},
            "discussants": [], "disclosure_date": null, "cve_summary": null, "cve": null,
            "fix_ref": null, "release_ref": null, "version": 1
        }))
        .expect("a report");
        r.id = ReportId::parse("EMB-7F3KQ2M9ZC4D").unwrap();
        r.channel = Channel::Web;
        r.project = Some(ProjectRef {
            id: ProjectId(1),
            slug: ProjectSlug::parse("alpha").unwrap(),
            name: "Alpha".into(),
            trusted: false,
        });
        r
    }

    pub(crate) fn contacts() -> Contacts {
        Contacts {
            org_name: "Example".into(),
            org_security: Email::parse("security@example.org").unwrap(),
            team: Email::parse("security@alpha.example.org").unwrap(),
            users_list: None,
            status_url: None,
            base_url: None,
            owner: None,
        }
    }

    fn msg(kind: MessageKind) -> NewMessage {
        NewMessage {
            kind,
            author: None,
            author_label: "x".into(),
            body: "b".into(),
        }
    }

    #[test]
    fn a_reply_starts_the_silence_and_the_reporters_answer_stops_it() {
        let r = report();
        let at: Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
        let silent = Clock::ReporterSilent.as_str();
        assert_eq!(
            on_change(&r, &[msg(MessageKind::Team)], "reply", at),
            vec![ClockWrite::Start(silent, at)]
        );
        // An acknowledgement is a Team message too, but asks nothing.
        assert!(on_change(&r, &[msg(MessageKind::Team)], "transition", at).is_empty());
        assert_eq!(
            on_change(&r, &[msg(MessageKind::Reporter)], "reporter_reply", at),
            vec![ClockWrite::Stop(silent)]
        );
        let mut closed = r.clone();
        closed.state = crate::state::ReportState::Rejected;
        assert_eq!(
            on_change(&closed, &[], "transition", at),
            vec![ClockWrite::Stop(silent)]
        );
    }

    #[test]
    fn silence_reminds_the_reporter_then_tells_the_team() {
        let policy = Policy {
            reporter_silent_days: 14,
            ..Policy::default()
        };
        let since: Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
        let s = schedule(Clock::ReporterSilent, since, &policy);
        assert_eq!(s.remind_at, "2026-12-16T10:00:00Z".parse().unwrap());
        assert_eq!(s.escalate_at, "2026-12-30T10:00:00Z".parse().unwrap());
        assert_eq!(
            Clock::ReporterSilent.audience(Nudge::Reminder),
            Audience::Reporter
        );
        assert_eq!(
            Clock::ReporterSilent.audience(Nudge::Escalation),
            Audience::Team
        );
        let r = report();
        let (mail, audit) =
            reporter_reminder(&r, since, 14, s.remind_at, "Europe/Amsterdam").unwrap();
        assert_eq!(mail.to[0].as_str(), "ann@example.net");
        assert!(
            mail.cc.is_empty(),
            "nothing team-only, not even the team's address"
        );
        assert!(!mail.body.contains(&r.title) && !mail.body.contains("alpha"));
        assert!(
            mail.body
                .contains("Wed 2 Dec 2026 11:00 CET (2026-12-02 10:00 UTC)"),
            "{}",
            mail.body
        );
        assert_eq!(audit.detail, format!("reporter_silent since {since}"));
        let mut anonymous = r;
        anonymous.reporter.email = None;
        assert!(reporter_reminder(&anonymous, since, 14, s.remind_at, "UTC").is_none());
    }

    #[test]
    fn the_cve_record_is_due_72_hours_after_the_announcement() {
        let mut r = report();
        let announced: Timestamp = "2026-12-03T09:00:00Z".parse().unwrap();
        let at = announced + SignedDuration::from_hours(1);
        r.announced_at = Some(announced);
        r.cve = Some(crate::ids::CveId::parse("CVE-2026-10001").unwrap());
        let record = Clock::CveRecord.as_str();
        assert!(
            on_change(&r, &[], "transition", at).contains(&ClockWrite::Start(record, announced))
        );
        let s = schedule(Clock::CveRecord, announced, &Policy::default());
        assert_eq!(s.remind_at, announced + SignedDuration::from_hours(24));
        assert_eq!(s.escalate_at, announced + SignedDuration::from_hours(72));
        assert!(still_applies(Clock::CveRecord, &r));
        r.record_state = Some(RecordState::Published);
        assert_eq!(
            on_change(&r, &[], "record_state", at),
            vec![ClockWrite::Stop(record)]
        );
        assert!(!still_applies(Clock::CveRecord, &r));
        assert_eq!(
            Clock::CveRecord.audience(Nudge::Escalation),
            Audience::Organisation
        );
    }

    #[test]
    fn the_fix_is_anchored_when_recorded() {
        let mut r = report();
        let at: Timestamp = "2026-12-03T09:00:00Z".parse().unwrap();
        r.fix_ref = Some("abc".into());
        assert_eq!(
            on_change(&r, &[], "transition", at),
            vec![ClockWrite::Start(FIXED, at)]
        );
    }
}
