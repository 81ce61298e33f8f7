//! The steps an actor may take on a report now: one per form the report page can
//! show.
//!
//! Derived from the same `may_*` predicates `decide` (and `merge`, `split`) check
//! first, never from `decide` itself with stand-in commands: a step is listed exactly
//! when a command for it, with valid fields, would be decided (the equivalence is
//! tested for every state, actor and record state in `tests/steps.rs`). What the
//! predicates leave out is what the form asks for: a reason, a date not in the past, a
//! free CVE id, a record with a title.

use jiff::Timestamp;

use super::common::admit;
use super::{cve, disclosure, may_merge, may_split, noise, record, triage};
use crate::access::Actor;
use crate::policy::Policy;
use crate::record::RecordState;
use crate::report::Report;
use crate::state::ReportState;
use crate::triage::TriageClass;

/// A step of the lifecycle that a page offers as a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Acknowledge,
    Reject,
    Accept,
    RequestCve,
    AssignCve,
    SendDraft,
    RecordFix,
    Announce,
    Route,
    /// Merge this report into another one (which is chosen on the form).
    Merge,
    Split,
    /// Close as noise of the triage class (confirm the suggestion, or name a class).
    ConfirmTriage,
    DismissTriage,
    Reopen,
    Reply,
    Note,
    SaveRecord,
    /// Move the CVE record to this state. Offered when only the record's findings
    /// (its own problems, the caller's lint) stand in the way: the form is shown and
    /// its refusal names them.
    MoveRecord(RecordState),
}

impl Step {
    /// The step of the transition form that moves a report to `to`, as
    /// the doors' transition requests name targets; none for `received` and `merged`.
    pub fn transition_to(to: ReportState) -> Option<Step> {
        match to {
            ReportState::Received | ReportState::Merged | ReportState::Closed => None,
            ReportState::Acknowledged => Some(Self::Acknowledge),
            ReportState::Rejected => Some(Self::Reject),
            ReportState::Accepted => Some(Self::Accept),
            ReportState::CveRequested => Some(Self::RequestCve),
            ReportState::CveAssigned => Some(Self::AssignCve),
            ReportState::ReporterReview => Some(Self::SendDraft),
            ReportState::Fixed => Some(Self::RecordFix),
            ReportState::Announced => Some(Self::Announce),
        }
    }
}

/// The steps `actor` may take on `report` now, in the order of [`Step`]'s variants
/// (record moves in the order of [`RecordState::ALL`]). Empty for whoever may not see
/// the report, and for its reporter, whose one step (a reply) is not a team form.
pub fn available_steps(
    report: &Report,
    actor: &Actor,
    now: Timestamp,
    policy: &Policy,
) -> Vec<Step> {
    if admit(report, actor, false).is_err() {
        return vec![];
    }
    let member = actor.member();
    let checks = [
        (Step::Acknowledge, triage::may_acknowledge(report).is_ok()),
        (Step::Reject, triage::may_reject(report).is_ok()),
        (
            Step::Accept,
            triage::may_accept(report, now, policy).is_ok(),
        ),
        (Step::RequestCve, cve::may_request(report).is_ok()),
        (Step::AssignCve, cve::may_assign(report, member).is_ok()),
        (Step::SendDraft, disclosure::may_send_draft(report).is_ok()),
        (Step::RecordFix, disclosure::may_record_fix(report).is_ok()),
        (Step::Announce, disclosure::may_announce(report).is_ok()),
        (Step::Route, triage::may_route(report, member).is_ok()),
        (Step::Merge, may_merge(report, actor).is_ok()),
        (Step::Split, may_split(report, actor).is_ok()),
        (
            Step::ConfirmTriage,
            noise::may_confirm_triage(report, Some(TriageClass::Spam)).is_ok(),
        ),
        (Step::DismissTriage, noise::may_dismiss(report).is_ok()),
        (Step::Reopen, noise::may_reopen(report).is_ok()),
        // The thread is open in every state to whoever handles the report.
        (Step::Reply, true),
        (Step::Note, true),
        (Step::SaveRecord, record::may_save(report).is_ok()),
    ];
    let moves = RecordState::ALL
        .into_iter()
        .filter(|to| record::may_move(report, member, *to).is_ok())
        .map(Step::MoveRecord);
    checks
        .into_iter()
        .filter_map(|(step, ok)| ok.then_some(step))
        .chain(moves)
        .collect()
}
