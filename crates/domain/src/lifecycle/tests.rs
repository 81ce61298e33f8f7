use super::*;
use crate::access::Member;
use crate::ids::{ProjectSlug, UserId};
use crate::intake::Submission;
use crate::record::{AffectedProduct, Credit, CreditKind, Severity, VersionRange};
use crate::report::{Channel, MessageKind, NoticeKind, Reporter};
use crate::state::ReportState;

// `available_steps` against `decide`, on these fixtures.
mod steps;
// Triage decisions: closing as noise, dismissing, reopening.
mod noise;
// Taking, assigning and releasing a report.
mod owner;
// The announcement's destinations and sender, and the confirmations of early and late dates.
mod announce;
// What the reporters of merged reports are told and how they are credited; merges across projects.
mod merged;

fn now() -> Timestamp {
    "2026-11-19T10:00:00Z".parse().unwrap()
}

fn contacts() -> Contacts {
    Contacts {
        org_name: "Example Foundation".into(),
        org_security: Email::parse("security@example.org").unwrap(),
        team: Email::parse("security@kafka.example.org").unwrap(),
        users_list: None,
        status_url: Some("https://embargo.example.org/status/abc".into()),
        base_url: None,
        owner: None,
    }
}

fn project() -> ProjectRef {
    ProjectRef {
        id: ProjectId(7),
        slug: ProjectSlug::parse("kafka").unwrap(),
        name: "Apache Kafka".into(),
        trusted: false,
    }
}

fn member(id: i64, org: bool) -> Actor {
    Actor::Member(Member {
        id: UserId(id),
        email: Email::parse(&format!("m{id}@example.org")).unwrap(),
        name: format!("Member {id}"),
        org_team: org,
        projects: vec![ProjectId(7)],
    })
}

fn received() -> Report {
    let new = Submission {
        project: Some("kafka".into()),
        title: "RCE in Connect".into(),
        description: "details".into(),
        reporter_email: Some("ann@example.net".into()),
        ..Default::default()
    }
    .parse()
    .unwrap();
    receive(
        new,
        ReportId::generate(),
        Some(project()),
        Channel::Web,
        now(),
        &Policy::default(),
        &contacts(),
    )
    .unwrap()
    .report
}

fn step(r: &Report, cmd: Command, actor: &Actor) -> Result<Change, DomainError> {
    decide(r, cmd, actor, now(), &Policy::default(), &contacts())
}

fn record() -> CnaRecord {
    CnaRecord {
        title: "Apache Kafka: RCE in Connect".into(),
        description: "An attacker can run code.".into(),
        products: vec![AffectedProduct {
            product: "Apache Kafka".into(),
            versions: vec![VersionRange {
                introduced: "3.0.0".into(),
                fixed: Some("3.7.1".into()),
                ..VersionRange::default()
            }],
            ..AffectedProduct::default()
        }],
        severity: Some(Severity::Important),
        cwe: Some("CWE-502".into()),
        credits: vec![Credit {
            name: "Ann".into(),
            kind: CreditKind::Finder,
        }],
        ..CnaRecord::default()
    }
}

#[test]
fn receipt_goes_to_reporter_and_team_with_deadline() {
    let new = Submission {
        title: "t".into(),
        description: "d".into(),
        reporter_email: Some("a@b.org".into()),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let c = receive(
        new,
        ReportId::generate(),
        None,
        Channel::Api,
        now(),
        &Policy::default(),
        &contacts(),
    )
    .unwrap();
    assert_eq!(c.report.state, ReportState::Received);
    // Thursday 10:00 + 3 working days.
    assert_eq!(
        c.report.deadlines.acknowledge_by,
        Some("2026-11-24T10:00:00Z".parse().unwrap())
    );
    assert_eq!(c.mails.len(), 2);
    assert!(
        c.mails[0]
            .body
            .contains("https://embargo.example.org/status/abc")
    );
    assert!(
        c.mails
            .iter()
            .all(|m| m.subject.starts_with(&format!("[{}]", c.report.id)))
    );
    assert!(c.messages[0].body.contains("route it to the right project"));
}

#[test]
fn the_whole_path_to_announcement() {
    let org = member(1, true);
    let team = member(2, false);
    let mut r = received();
    for (cmd, actor, state) in [
        (
            Command::Acknowledge { message: None },
            &team,
            ReportState::Acknowledged,
        ),
        (
            Command::Accept {
                disclosure_date: "2026-12-15".parse().unwrap(),
                message: None,
                confirm_late: false,
            },
            &team,
            ReportState::Accepted,
        ),
        (
            Command::RequestCve {
                summary: "RCE in Kafka Connect".into(),
            },
            &team,
            ReportState::CveRequested,
        ),
        (
            Command::AssignCve {
                cve: CveId::parse("CVE-2026-10000").unwrap(),
            },
            &org,
            ReportState::CveAssigned,
        ),
        (
            Command::SaveRecord { record: record() },
            &team,
            ReportState::CveAssigned,
        ),
        (
            Command::SendDraft {
                message: None,
                problems: vec![],
            },
            &team,
            ReportState::ReporterReview,
        ),
        (
            Command::RecordFix {
                fix_ref: "abc123".into(),
                release_ref: "3.7.1".into(),
            },
            &team,
            ReportState::Fixed,
        ),
        (
            Command::Announce {
                confirm_early: true,
            },
            &team,
            ReportState::Announced,
        ),
    ] {
        let c = step(&r, cmd.clone(), actor).unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        assert_eq!(c.report.state, state, "{cmd:?}");
        if let Command::AssignCve { cve } = &cmd {
            assert_eq!(c.claim_cve.as_ref(), Some(cve));
        }
        if matches!(cmd, Command::SendDraft { .. }) {
            assert!(
                c.messages[0]
                    .body
                    .contains("Subject: CVE-2026-10000: Apache Kafka: RCE in Connect")
            );
        }
        if matches!(cmd, Command::Announce { .. }) {
            let a = c.publish.as_ref().unwrap();
            assert_eq!(a.cve.to_string(), "CVE-2026-10000");
            assert!(
                a.announcement
                    .body
                    .contains("- Apache Kafka 3.0.0 before 3.7.1")
            );
        }
        r = c.report;
    }
    assert_eq!(
        r.deadlines.discuss_by,
        Some("2026-11-20T10:00:00Z".parse().unwrap())
    );
    assert_eq!(
        r.deadlines.announce_by,
        Some("2026-12-19T10:00:00Z".parse().unwrap())
    );
}

#[test]
fn forbidden_steps_say_why() {
    let team = member(2, false);
    let r = received();
    let err = step(
        &r,
        Command::Accept {
            disclosure_date: "2026-12-15".parse().unwrap(),
            message: None,
            confirm_late: false,
        },
        &team,
    )
    .unwrap_err();
    assert!(err.to_string().contains("acknowledge it first"), "{err}");
    let err = step(
        &r,
        Command::Announce {
            confirm_early: true,
        },
        &team,
    )
    .unwrap_err();
    assert!(err.to_string().contains("fix is released"), "{err}");
    let acked = step(&r, Command::Acknowledge { message: None }, &team)
        .unwrap()
        .report;
    let err = step(
        &acked,
        Command::Accept {
            disclosure_date: "2026-01-01".parse().unwrap(),
            message: None,
            confirm_late: false,
        },
        &team,
    )
    .unwrap_err();
    assert!(err.to_string().contains("in the past"), "{err}");
    let accepted = step(
        &acked,
        Command::Accept {
            disclosure_date: "2026-12-01".parse().unwrap(),
            message: None,
            confirm_late: false,
        },
        &team,
    )
    .unwrap()
    .report;
    // A project member cannot take a CVE from the organisation's pool.
    let err = step(
        &accepted,
        Command::AssignCve {
            cve: CveId::parse("CVE-2026-10000").unwrap(),
        },
        &team,
    )
    .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)));
    let err = step(
        &accepted,
        Command::SendDraft {
            message: None,
            problems: vec![],
        },
        &team,
    )
    .unwrap_err();
    assert!(err.to_string().contains("once a CVE is assigned"), "{err}");
}

#[test]
fn reject_needs_a_reason_and_tells_the_reporter_with_copies() {
    let team = member(2, false);
    let r = received();
    let err = step(
        &r,
        Command::Reject {
            reason: "  ".into(),
        },
        &team,
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("reason:"));
    let c = step(
        &r,
        Command::Reject {
            reason: "Clickjacking is not in scope.".into(),
        },
        &team,
    )
    .unwrap();
    assert_eq!(c.report.state, ReportState::Rejected);
    let mail = &c.mails[0];
    assert_eq!(mail.to[0].as_str(), "ann@example.net");
    assert!(mail.cc.iter().any(|e| e.as_str() == "security@example.org"));
    assert!(mail.body.contains("Clickjacking is not in scope."));
    let err = step(&c.report, Command::Acknowledge { message: None }, &team).unwrap_err();
    assert!(err.to_string().contains("rejected"));
}

#[test]
fn outsiders_and_reporters_are_kept_out() {
    let r = received();
    let outsider = Actor::Member(Member {
        id: UserId(9),
        email: Email::parse("x@example.org").unwrap(),
        name: "X".into(),
        org_team: false,
        projects: vec![ProjectId(8)],
    });
    for actor in [
        Actor::Anonymous,
        outsider,
        Actor::Reporter(ReportId::generate()),
    ] {
        let err = step(&r, Command::Note { body: "hi".into() }, &actor).unwrap_err();
        assert!(matches!(err, DomainError::Forbidden(_)), "{actor:?}");
    }
    let own = Actor::Reporter(r.id.clone());
    assert!(matches!(
        step(&r, Command::Acknowledge { message: None }, &own),
        Err(DomainError::Forbidden(_))
    ));
    let c = step(
        &r,
        Command::ReporterReply {
            body: "more detail".into(),
        },
        &own,
    )
    .unwrap();
    assert_eq!(c.messages[0].kind, MessageKind::Reporter);
}

#[test]
fn two_members_notes_satisfy_the_discussion() {
    let r = step(
        &received(),
        Command::Acknowledge { message: None },
        &member(2, false),
    )
    .unwrap()
    .report;
    assert!(r.next_due().is_some());
    let r = step(
        &r,
        Command::Note {
            body: "looks real".into(),
        },
        &member(2, false),
    )
    .unwrap()
    .report;
    let r = step(
        &r,
        Command::Note {
            body: "agreed".into(),
        },
        &member(2, false),
    )
    .unwrap()
    .report;
    assert_eq!(r.discussants.len(), 1);
    assert_eq!(r.next_due(), r.deadlines.discuss_by);
    let r = step(&r, Command::Note { body: "+1".into() }, &member(3, false))
        .unwrap()
        .report;
    assert_eq!(r.next_due(), None);
}

#[test]
fn the_record_is_gated_as_at_the_asf() {
    use crate::record::RecordState as S;
    let (org, team) = (member(1, true), member(2, false));
    let mut r = with_cve_assigned();
    assert_eq!(r.record_state(), Some(S::Reserved));
    let mv = |to: S| Command::MoveRecord {
        to,
        reason: None,
        problems: vec![],
    };
    // Nothing to review yet; then a record with a bad CWE cannot leave DRAFT.
    assert!(step(&r, mv(S::Review), &team).is_err());
    let mut bad = record();
    bad.cwe = Some("79".into());
    r = step(&r, Command::SaveRecord { record: bad }, &team)
        .unwrap()
        .report;
    assert_eq!(r.record_state(), Some(S::Draft));
    let err = step(&r, mv(S::Review), &team).unwrap_err();
    assert!(
        err.to_string().contains("cannot leave DRAFT") && err.to_string().contains("cwe"),
        "{err}"
    );
    // The caller's lint findings count too.
    r = step(&r, Command::SaveRecord { record: record() }, &team)
        .unwrap()
        .report;
    let linted = Command::MoveRecord {
        to: S::Review,
        reason: None,
        problems: vec!["metrics[0]: score mismatch".into()],
    };
    assert!(
        step(&r, linted, &team)
            .unwrap_err()
            .to_string()
            .contains("score mismatch")
    );
    let c = step(&r, mv(S::Review), &team).unwrap();
    assert_eq!(
        c.mails[0].to[0].as_str(),
        "security@example.org",
        "the CNA is told"
    );
    r = c.report;
    // Only the organisation team marks READY and publishes.
    assert!(matches!(
        step(&r, mv(S::Ready), &team),
        Err(DomainError::Forbidden(_))
    ));
    r = step(&r, mv(S::Ready), &org).unwrap().report;
    assert_eq!(r.record_state(), Some(S::Ready));
    let err = step(&r, mv(S::Published), &org).unwrap_err();
    assert!(err.to_string().contains("announced"), "{err}");
    // An edit sends it back to DRAFT.
    let c = step(&r, Command::SaveRecord { record: record() }, &team).unwrap();
    assert_eq!(c.report.record_state(), Some(S::Draft));
    assert!(
        c.audit.detail.contains("READY -> DRAFT"),
        "{}",
        c.audit.detail
    );
    r = c.report;
    for (cmd, actor) in [
        (mv(S::Review), &team),
        (mv(S::Ready), &org),
        (
            Command::SendDraft {
                message: None,
                problems: vec![],
            },
            &team,
        ),
        (
            Command::RecordFix {
                fix_ref: "abc".into(),
                release_ref: "3.7.1".into(),
            },
            &team,
        ),
        (
            Command::Announce {
                confirm_early: true,
            },
            &team,
        ),
    ] {
        r = step(&r, cmd.clone(), actor)
            .unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
            .report;
    }
    assert!(matches!(
        step(&r, mv(S::Published), &team),
        Err(DomainError::Forbidden(_))
    ));
    r = step(&r, mv(S::Published), &org).unwrap().report;
    assert_eq!(r.record_state(), Some(S::Published));
    let err = step(
        &r,
        Command::MoveRecord {
            to: S::Rejected,
            reason: None,
            problems: vec![],
        },
        &org,
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("reason:"), "{err}");
}

#[test]
fn a_rejected_cve_lets_the_report_be_rejected() {
    use crate::record::RecordState as S;
    let (org, team) = (member(1, true), member(2, false));
    let mut r = with_cve_assigned();
    assert!(
        step(
            &r,
            Command::Reject {
                reason: "duplicate".into()
            },
            &team
        )
        .is_err()
    );
    let reject = Command::MoveRecord {
        to: S::Rejected,
        reason: Some("Duplicate of CVE-2026-9999.".into()),
        problems: vec![],
    };
    let c = step(&r, reject, &org).unwrap();
    assert_eq!(c.messages[0].kind, MessageKind::Note);
    r = step(
        &c.report,
        Command::Reject {
            reason: "duplicate".into(),
        },
        &team,
    )
    .unwrap()
    .report;
    assert_eq!(r.state, ReportState::Rejected);
}

fn accepted(trusted: bool) -> Report {
    let team = member(2, false);
    let mut r = received();
    if let Some(p) = r.project.as_mut() {
        p.trusted = trusted;
    }
    let acked = step(&r, Command::Acknowledge { message: None }, &team)
        .unwrap()
        .report;
    step(
        &acked,
        Command::Accept {
            disclosure_date: "2026-12-01".parse().unwrap(),
            message: None,
            confirm_late: false,
        },
        &team,
    )
    .unwrap()
    .report
}

#[test]
fn a_trusted_projects_team_assigns_its_own_cve() {
    let cve = || Command::AssignCve {
        cve: CveId::parse("CVE-2026-10001").unwrap(),
    };
    let r = accepted(true);
    let c = step(&r, cve(), &member(2, false)).unwrap();
    assert_eq!(c.report.state, ReportState::CveAssigned);
    assert_eq!(c.claim_cve.unwrap().to_string(), "CVE-2026-10001");
    // After a request too, and the organisation team still may.
    let requested = step(
        &r,
        Command::RequestCve {
            summary: "RCE in Connect".into(),
        },
        &member(2, false),
    )
    .unwrap()
    .report;
    assert!(step(&requested, cve(), &member(2, false)).is_ok());
    assert!(step(&r, cve(), &member(1, true)).is_ok());
    // Trust is per project: a member of another project never sees it at all.
    let other = Actor::Member(Member {
        id: UserId(9),
        email: Email::parse("m9@example.org").unwrap(),
        name: "Member 9".into(),
        org_team: false,
        projects: vec![ProjectId(8)],
    });
    assert!(matches!(
        step(&r, cve(), &other).unwrap_err(),
        DomainError::Forbidden(_)
    ));
}

#[test]
fn an_untrusted_projects_team_requests_and_the_organisation_assigns() {
    let cve = || Command::AssignCve {
        cve: CveId::parse("CVE-2026-10002").unwrap(),
    };
    let r = accepted(false);
    let err = step(&r, cve(), &member(2, false)).unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)));
    assert!(err.to_string().contains("cve_requested"), "{err}");
    let requested = step(
        &r,
        Command::RequestCve {
            summary: "RCE in Connect".into(),
        },
        &member(2, false),
    )
    .unwrap()
    .report;
    assert!(step(&requested, cve(), &member(2, false)).is_err());
    let c = step(&requested, cve(), &member(1, true)).unwrap();
    assert_eq!(c.report.state, ReportState::CveAssigned);
}

#[test]
fn routing_tells_the_projects_team_by_mail_copied_to_the_organisation() {
    let new = Submission {
        title: "Unrouted".into(),
        description: "details".into(),
        reporter_email: Some("ann@example.net".into()),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let mut org_contacts = contacts();
    org_contacts.team = org_contacts.org_security.clone();
    let r = receive(
        new,
        ReportId::generate(),
        None,
        Channel::Web,
        now(),
        &Policy::default(),
        &org_contacts,
    )
    .unwrap()
    .report;
    let team = Email::parse("security@kafka.example.org").unwrap();
    let route = Command::Route {
        project: project(),
        team: team.clone(),
    };
    assert!(matches!(
        step(&r, route.clone(), &member(2, false)),
        Err(DomainError::Forbidden(_))
    ));
    let c = decide(
        &r,
        route,
        &member(1, true),
        now(),
        &Policy::default(),
        &org_contacts,
    )
    .unwrap();
    assert_eq!(c.report.project, Some(project()));
    assert!(c.messages[0].body.contains("Apache Kafka security team"));
    let mail = &c.mails[0];
    assert_eq!(mail.to, vec![team]);
    assert_eq!(mail.cc, vec![org_contacts.org_security.clone()]);
    assert!(mail.subject.starts_with(&format!("[{}]", r.id)));
    assert_eq!(
        mail.notice.as_ref().map(|n| n.kind),
        Some(NoticeKind::NewReport)
    );
    // A project without a list of its own: the organisation address, not copied twice.
    let c = decide(
        &r,
        Command::Route {
            project: project(),
            team: org_contacts.org_security.clone(),
        },
        &member(1, true),
        now(),
        &Policy::default(),
        &org_contacts,
    )
    .unwrap();
    assert!(c.mails[0].cc.is_empty());
}

/// A merge within one project: no confirmation needed, the target's team is B's.
fn same_project() -> MergeAcross {
    MergeAcross {
        target_team: contacts().team,
        confirmed: false,
    }
}

/// A second report of the same vulnerability, by another reporter.
fn second_report() -> Report {
    let mut r = received();
    r.title = "Connect deserialises untrusted data".into();
    r.reporter = Reporter {
        name: Some("Bo".into()),
        email: Some(Email::parse("bo@elsewhere.example").unwrap()),
        credit: Some("Bo of Elsewhere".into()),
    };
    r
}

#[test]
fn only_the_organisation_team_merges_open_reports() {
    let a = accepted(false);
    let b = second_report();
    let err = merge(
        &b,
        &a,
        &member(2, false),
        now(),
        &contacts(),
        &same_project(),
    )
    .unwrap_err();
    assert!(matches!(err, DomainError::Forbidden(_)), "{err}");
    assert!(may_merge(&b, &member(2, false)).is_err());
    assert!(may_merge(&b, &Actor::Reporter(b.id.clone())).is_err());
    assert!(may_merge(&b, &member(1, true)).is_ok());
    let org = member(1, true);
    let err = merge(&b, &b, &org, now(), &contacts(), &same_project()).unwrap_err();
    assert!(err.to_string().contains("itself"), "{err}");
    // Neither side may be terminal.
    let rejected = step(
        &b,
        Command::Reject {
            reason: "dup".into(),
        },
        &org,
    )
    .unwrap()
    .report;
    assert!(merge(&rejected, &a, &org, now(), &contacts(), &same_project()).is_err());
    assert!(merge(&b, &rejected, &org, now(), &contacts(), &same_project()).is_err());
    // B with a CVE of its own is not merged into A without it.
    let mut with_cve = b.clone();
    with_cve.cve = Some(CveId::parse("CVE-2026-10009").unwrap());
    let err = merge(&with_cve, &a, &org, now(), &contacts(), &same_project()).unwrap_err();
    assert!(err.to_string().contains("CVE of its own"), "{err}");
    // A merged report is terminal: nothing more, not even a second merge.
    let m = merge(&b, &a, &org, now(), &contacts(), &same_project()).unwrap();
    assert!(may_merge(&m.source.report, &org).is_err());
    assert!(
        step(
            &m.source.report,
            Command::Acknowledge { message: None },
            &org
        )
        .is_err()
    );
    assert!(ReportState::Merged.is_terminal());
    assert_eq!(ReportState::parse("merged").unwrap(), ReportState::Merged);
    assert_eq!(ReportState::Merged.label(), "Merged");
}

#[test]
fn a_merge_tells_each_side_its_own_part_and_never_names_a_to_bs_reporter() {
    let org = member(1, true);
    let mut a = accepted(false);
    a.cna_record = Some(record());
    let b = second_report();
    let m = merge(&b, &a, &org, now(), &contacts(), &same_project()).unwrap();
    let src = &m.source;
    assert_eq!(src.report.state, ReportState::Merged);
    assert_eq!(src.report.merged_into.as_ref(), Some(&a.id));
    assert_eq!(src.audit.action, "merge");
    assert!(src.audit.detail.contains(a.id.as_str()));
    // B's reporter: a message and a mail, with the credit, and nothing of A.
    let told: Vec<&NewMessage> = src
        .messages
        .iter()
        .filter(|m| m.kind.visible_to_reporter())
        .collect();
    assert_eq!(told.len(), 1);
    assert!(told[0].body.contains("Bo of Elsewhere"));
    let mail = &src.mails[0];
    assert_eq!(mail.to[0].as_str(), "bo@elsewhere.example");
    let notice = mail.notice.as_ref().unwrap();
    assert_eq!(notice.kind, NoticeKind::Merged);
    assert_eq!(notice.vars["credit"], "Bo of Elsewhere");
    assert!(notice.vars.values().all(|v| !v.contains(a.id.as_str())));
    for text in [
        told[0].body.as_str(),
        mail.body.as_str(),
        mail.subject.as_str(),
    ] {
        assert!(!text.contains(a.id.as_str()), "{text}");
        assert!(!text.contains(&a.title), "{text}");
        assert!(!text.contains("ann@example.net"), "{text}");
    }
    // A: an internal note naming B, B's credit on the record, an audit line.
    let tgt = &m.target;
    assert_eq!(tgt.report.state, a.state);
    assert_eq!(tgt.audit.action, "merge");
    assert!(tgt.audit.detail.contains(b.id.as_str()));
    assert!(tgt.mails.is_empty());
    assert_eq!(tgt.messages.len(), 1);
    assert_eq!(tgt.messages[0].kind, MessageKind::Note);
    assert!(tgt.messages[0].body.contains(b.id.as_str()));
    let credits = tgt.report.cve_record().unwrap().credits;
    assert!(credits.iter().any(|c| c.name == "Bo of Elsewhere"));
    assert!(credits.iter().any(|c| c.name == "Ann"));
    // Without a record, the credit goes on it when it is first written (tests/merged.rs).
    let m = merge(
        &b,
        &accepted(false),
        &org,
        now(),
        &contacts(),
        &same_project(),
    )
    .unwrap();
    assert!(m.target.report.cve_record().is_none());
    assert!(
        m.target.messages[0]
            .body
            .contains("on the record once it is written")
    );
}

#[test]
fn the_handling_team_splits_an_accepted_report() {
    let team = member(2, false);
    // Not before it is accepted.
    let err = split(&received(), ReportId::generate(), &team, now(), &contacts()).unwrap_err();
    assert!(err.to_string().contains("accepted"), "{err}");
    // Not by the reporter nor another project's team.
    let a = accepted(false);
    let outsider = Actor::Member(Member {
        id: UserId(9),
        email: Email::parse("x@example.org").unwrap(),
        name: "X".into(),
        org_team: false,
        projects: vec![ProjectId(8)],
    });
    for who in [Actor::Reporter(a.id.clone()), outsider] {
        assert!(matches!(
            split(&a, ReportId::generate(), &who, now(), &contacts()),
            Err(DomainError::Forbidden(_))
        ));
    }
    assert!(may_split(&a, &member(1, true)).is_ok());
    let id2 = ReportId::generate();
    let s = split(&a, id2.clone(), &team, now(), &contacts()).unwrap();
    let new = &s.created.report;
    assert_eq!(new.id, id2);
    assert_eq!(new.state, ReportState::Accepted);
    assert_eq!(new.split_from.as_ref(), Some(&a.id));
    assert_eq!(new.disclosure_date, a.disclosure_date);
    assert_eq!(new.description, a.description);
    assert_eq!(new.reporter, a.reporter);
    assert_eq!(new.project, a.project);
    assert!(new.cve.is_none() && new.cve_record().is_none());
    assert_eq!(s.created.audit.action, "split");
    assert!(s.created.audit.detail.contains(a.id.as_str()));
    assert!(s.created.mails.is_empty());
    // A: unchanged state, an audit line and a note naming A2, the reporter told.
    assert_eq!(s.original.report.state, a.state);
    assert!(s.original.audit.detail.contains(id2.as_str()));
    assert!(
        s.original
            .messages
            .iter()
            .any(|m| m.kind == MessageKind::Note && m.body.contains(id2.as_str()))
    );
    assert!(
        s.original
            .messages
            .iter()
            .any(|m| m.kind == MessageKind::System && m.body.contains("second issue"))
    );
    assert_eq!(s.original.mails[0].to[0].as_str(), "ann@example.net");
    assert_eq!(
        s.original.mails[0].notice.as_ref().map(|n| n.kind),
        Some(NoticeKind::Split)
    );
    // The new report goes on to its own CVE.
    let c = step(
        new,
        Command::AssignCve {
            cve: CveId::parse("CVE-2026-10010").unwrap(),
        },
        &member(1, true),
    )
    .unwrap();
    assert_eq!(c.report.state, ReportState::CveAssigned);
    // Not once announced.
    let mut announced = a.clone();
    announced.state = ReportState::Announced;
    assert!(split(&announced, ReportId::generate(), &team, now(), &contacts()).is_err());
}

/// A received report acknowledged and accepted by the team, with CVE-2026-10000
/// assigned by the organisation team.
pub(super) fn with_cve_assigned() -> Report {
    let (org, team) = (member(1, true), member(2, false));
    let mut r = received();
    for (cmd, actor) in [
        (Command::Acknowledge { message: None }, &team),
        (
            Command::Accept {
                disclosure_date: "2026-12-15".parse().unwrap(),
                message: None,
                confirm_late: false,
            },
            &team,
        ),
        (
            Command::AssignCve {
                cve: CveId::parse("CVE-2026-10000").unwrap(),
            },
            &org,
        ),
    ] {
        r = step(&r, cmd, actor).unwrap().report;
    }
    r
}

#[test]
fn the_teams_new_report_notice_links_to_the_report_page() {
    let with_url = Contacts {
        base_url: Some("https://embargo.example.org".into()),
        owner: None,
        ..contacts()
    };
    let new = Submission {
        project: Some("kafka".into()),
        title: "t".into(),
        description: "d".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let c = receive(
        new,
        ReportId::generate(),
        Some(project()),
        Channel::Web,
        now(),
        &Policy::default(),
        &with_url,
    )
    .unwrap();
    let page = format!("https://embargo.example.org/reports/{}", c.report.id);
    let notice = c
        .mails
        .iter()
        .find(|m| {
            m.notice
                .as_ref()
                .is_some_and(|n| n.kind == NoticeKind::NewReport)
        })
        .expect("the team's notice");
    assert!(notice.body.ends_with(&page), "{}", notice.body);
    assert_eq!(notice.notice.as_ref().unwrap().vars["report_url"], page);
}

/// A record that the CVE JSON 5 lint or the CVE Program's schema refuses (the caller's
/// findings) does not go to the reporter: the refusal names the field, and nothing is
/// decided; with none, the draft goes.
#[test]
fn the_draft_waits_for_a_record_that_validates() {
    let org = member(1, true);
    let team = member(2, false);
    let mut r = received();
    for (cmd, actor) in [
        (Command::Acknowledge { message: None }, &team),
        (
            Command::Accept {
                disclosure_date: "2026-12-15".parse().unwrap(),
                message: None,
                confirm_late: false,
            },
            &team,
        ),
        (
            Command::RequestCve {
                summary: "RCE in Kafka Connect".into(),
            },
            &team,
        ),
        (
            Command::AssignCve {
                cve: CveId::parse("CVE-2026-10000").unwrap(),
            },
            &org,
        ),
        (Command::SaveRecord { record: record() }, &team),
    ] {
        r = step(&r, cmd, actor).unwrap().report;
    }
    let draft = |problems: Vec<String>| Command::SendDraft {
        message: None,
        problems,
    };
    let schema =
        "/containers/cna/affected/0/packageURL: official schema: \"pkg:x\" is not a \"uri\"";
    let err = step(&r, draft(vec![schema.into()]), &team).unwrap_err();
    assert!(matches!(err, DomainError::Transition(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("the draft cannot go to the reporter until the record is valid: {schema}")
    );
    let lint = "affected[0].versions[0].lessThan: the range 3.0.0 < 2.0 cannot match any version";
    let err = step(&r, draft(vec![lint.into(), schema.into()]), &team).unwrap_err();
    assert!(
        err.to_string().ends_with(&format!("{lint} (and 1 more)")),
        "{err}"
    );
    // The record's own problems are named first, as before.
    let mut incomplete = r.clone();
    incomplete.cna_record.as_mut().unwrap().products[0]
        .product
        .clear();
    let err = step(&incomplete, draft(vec![lint.into()]), &team).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the record is not complete: products[0].product:"),
        "{err}"
    );
    let sent = step(&r, draft(vec![]), &team).unwrap();
    assert_eq!(sent.report.state, ReportState::ReporterReview);
}
