//! `available_steps` against the functions that take the steps: for every report
//! state, record state, routing and trust, policy, and kind of actor, a step is listed
//! exactly when a valid command for it (a reason, a disclosure date in the policy's
//! window, a free CVE id, a complete record...) is decided, merged or split.

use super::*;
use crate::record::RecordState as S;
use crate::triage::TriageClass;
use jiff::ToSpan;
use jiff::civil::Date;

/// What the report's CVE record holds: an id, the record's text, its stored state.
#[derive(Debug, Clone, Copy)]
struct RecordCase {
    cve: bool,
    text: Text,
    state: Option<S>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    None,
    Complete,
    /// A record that `CnaRecord::problems` finds fault with (a malformed CWE).
    Problems,
}

const RECORDS: [RecordCase; 14] = {
    const fn case(cve: bool, text: Text, state: Option<S>) -> RecordCase {
        RecordCase { cve, text, state }
    }
    [
        case(false, Text::None, None),
        case(true, Text::None, None),
        case(true, Text::Complete, None),
        case(true, Text::Problems, None),
        case(true, Text::Complete, Some(S::Review)),
        case(true, Text::Problems, Some(S::Review)),
        case(true, Text::Complete, Some(S::Ready)),
        case(true, Text::Complete, Some(S::Published)),
        case(true, Text::Complete, Some(S::Rejected)),
        case(true, Text::None, Some(S::Rejected)),
        case(true, Text::Problems, Some(S::Ready)),
        // Not reached through `decide`, but the rules must agree on them too.
        case(false, Text::Complete, None),
        case(true, Text::None, Some(S::Draft)),
        case(true, Text::None, Some(S::Review)),
    ]
};

#[derive(Debug, Clone, Copy)]
enum Routing {
    Unrouted,
    Untrusted,
    Trusted,
}

fn report_in(state: ReportState, routing: Routing, rc: RecordCase) -> Report {
    let mut r = received();
    r.state = state;
    r.project = match routing {
        Routing::Unrouted => None,
        Routing::Untrusted => Some(project()),
        Routing::Trusted => Some(ProjectRef {
            trusted: true,
            ..project()
        }),
    };
    r.cve = rc.cve.then(|| CveId::parse("CVE-2026-10000").unwrap());
    let text = match rc.text {
        Text::None => None,
        Text::Complete => Some(record()),
        Text::Problems => Some(CnaRecord {
            cwe: Some("79".into()),
            ..record()
        }),
    };
    r.cna_record = text;
    r.record_state = rc.state;
    r
}

fn actors(r: &Report) -> Vec<(&'static str, Actor)> {
    let other_project = Actor::Member(Member {
        id: UserId(9),
        email: Email::parse("m9@example.org").unwrap(),
        name: "Member 9".into(),
        org_team: false,
        projects: vec![ProjectId(8)],
    });
    vec![
        ("reporter", Actor::Reporter(r.id.clone())),
        ("project member", member(2, false)),
        ("organisation team", member(1, true)),
        ("member of another project", other_project),
        ("anonymous", Actor::Anonymous),
    ]
}

fn policies() -> Vec<Policy> {
    let zone = |tz: &str| Policy {
        time_zone: tz.into(),
        ..Policy::default()
    };
    // UTC; a day ahead of UTC at `now()`; a zone the calendar cannot load.
    vec![
        Policy::default(),
        zone("Pacific/Kiritimati"),
        zone("Nowhere/Atlantis"),
    ]
}

fn every_step() -> Vec<Step> {
    let mut all = vec![
        Step::Acknowledge,
        Step::Reject,
        Step::Accept,
        Step::RequestCve,
        Step::AssignCve,
        Step::SendDraft,
        Step::RecordFix,
        Step::Announce,
        Step::Route,
        Step::Merge,
        Step::Split,
        Step::Reply,
        Step::Note,
        Step::SaveRecord,
    ];
    all.extend(S::ALL.map(Step::MoveRecord));
    all
}

/// A disclosure date the policy accepts: the end of its announcement window, counted
/// from today in its time zone (any date when the zone is unknown: nothing is).
fn disclosure_date(policy: &Policy) -> Date {
    let today = policy
        .calendar()
        .map_or(now().to_zoned(jiff::tz::TimeZone::UTC).date(), |c| {
            c.local_date(now())
        });
    today
        .checked_add(i64::from(policy.announce_days).days())
        .unwrap()
}

/// A command for `step` whose fields are all valid, so that only the rules decide.
fn valid_command(step: Step, policy: &Policy) -> Command {
    match step {
        Step::Acknowledge => Command::Acknowledge { message: None },
        Step::Reject => Command::Reject {
            reason: "Clickjacking is not in scope.".into(),
        },
        Step::Accept => Command::Accept {
            disclosure_date: disclosure_date(policy),
            message: None,
            confirm_late: false,
        },
        Step::RequestCve => Command::RequestCve {
            summary: "RCE in Kafka Connect".into(),
        },
        // Free: no fixture report holds it.
        Step::AssignCve => Command::AssignCve {
            cve: CveId::parse("CVE-2026-10099").unwrap(),
        },
        Step::SendDraft => Command::SendDraft {
            message: None,
            problems: vec![],
        },
        Step::RecordFix => Command::RecordFix {
            fix_ref: "abc123".into(),
            release_ref: "3.7.1".into(),
        },
        Step::Announce => Command::Announce {
            confirm_early: true,
        },
        Step::Route => Command::Route {
            project: ProjectRef {
                id: ProjectId(8),
                slug: ProjectSlug::parse("flink").unwrap(),
                name: "Apache Flink".into(),
                trusted: false,
            },
            team: Email::parse("security@flink.example.org").unwrap(),
        },
        Step::ConfirmTriage => Command::ConfirmTriage {
            class: Some(TriageClass::Spam),
            findings: None,
        },
        Step::DismissTriage => Command::DismissTriage,
        Step::Reopen => Command::Reopen,
        Step::Reply => Command::Reply {
            body: "Can you share the payload?".into(),
        },
        Step::Note => Command::Note {
            body: "Reproduced on 3.7.0.".into(),
        },
        Step::SaveRecord => Command::SaveRecord { record: record() },
        Step::MoveRecord(to) => Command::MoveRecord {
            to,
            reason: Some("Duplicate of CVE-2026-9999.".into()),
            problems: vec![],
        },
        Step::Merge | Step::Split => unreachable!("not a `decide` command"),
    }
}

/// Whether `step` is taken on `r` with valid inputs. A record move is listed also when
/// only the record's findings refuse it (`Step::MoveRecord`): then the same move is
/// decided once the record is complete, and the refusal is the findings'.
fn taken(r: &Report, step: Step, actor: &Actor, policy: &Policy) -> bool {
    let decided = |r: &Report| {
        decide(
            r,
            valid_command(step, policy),
            actor,
            now(),
            policy,
            &contacts(),
        )
    };
    match step {
        Step::Merge => {
            // Any open report of the same project with the same CVE takes it.
            let mut target = r.clone();
            target.id = ReportId::generate();
            target.state = ReportState::Accepted;
            merge(r, &target, actor, now(), &contacts(), &same_project()).is_ok()
        }
        Step::Split => split(r, ReportId::generate(), actor, now(), &contacts()).is_ok(),
        Step::MoveRecord(_) => match decided(r) {
            Ok(_) => true,
            Err(err) => {
                let mut fixed = r.clone();
                if fixed.cna_record.is_some() {
                    fixed.cna_record = Some(record());
                }
                let only_findings = decided(&fixed).is_ok();
                if only_findings {
                    assert!(err.to_string().contains("cannot leave DRAFT"), "{err}");
                }
                only_findings
            }
        },
        _ => decided(r).is_ok(),
    }
}

#[test]
fn available_steps_are_exactly_the_steps_decide_takes() {
    let steps = every_step();
    // How often each step was listed, and how often not: both must happen.
    let mut listed = vec![0_usize; steps.len()];
    let mut unlisted = vec![0_usize; steps.len()];
    for state in ReportState::ALL {
        for routing in [Routing::Unrouted, Routing::Untrusted, Routing::Trusted] {
            for rc in RECORDS {
                let r = report_in(state, routing, rc);
                for (who, actor) in actors(&r) {
                    for policy in policies() {
                        let available = available_steps(&r, &actor, now(), &policy);
                        for (i, &step) in steps.iter().enumerate() {
                            let offered = available.contains(&step);
                            assert_eq!(
                                offered,
                                taken(&r, step, &actor, &policy),
                                "{step:?} for the {who} on a {state} report, {routing:?}, \
                                 {rc:?}, time zone {}",
                                policy.time_zone
                            );
                            if offered {
                                listed[i] += 1;
                            } else {
                                unlisted[i] += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    for (i, step) in steps.iter().enumerate() {
        // A RESERVED record is assigned an id, never moved to.
        if *step == Step::MoveRecord(S::Reserved) {
            assert_eq!(listed[i], 0);
            continue;
        }
        assert!(listed[i] > 0, "{step:?} is never offered in the table");
        assert!(unlisted[i] > 0, "{step:?} is always offered in the table");
    }
}

#[test]
fn steps_come_in_the_order_of_the_enum() {
    let r = report_in(
        ReportState::Accepted,
        Routing::Trusted,
        RecordCase {
            cve: false,
            text: Text::None,
            state: None,
        },
    );
    let steps = available_steps(&r, &member(1, true), now(), &Policy::default());
    assert_eq!(
        steps,
        [
            Step::Reject,
            Step::RequestCve,
            Step::AssignCve,
            Step::Merge,
            Step::Split,
            Step::Reply,
            Step::Note,
            Step::SaveRecord,
        ]
    );
    // The reporter's view has no team form.
    assert!(
        available_steps(
            &r,
            &Actor::Reporter(r.id.clone()),
            now(),
            &Policy::default()
        )
        .is_empty()
    );
}
