//! The built-in wording of every lifecycle mail, as insta snapshots (`snapshots/`): one
//! fixed report (fixed ids, clock, people and record) walked through every step that
//! speaks, each notice rendered by `Templates::builtin` as it goes out. A change of
//! wording shows as a snapshot diff to review; accept it with `cargo insta review` (or
//! `INSTA_UPDATE=always`) and commit the `.snap` files. Under `CI=true` a difference or
//! a missing snapshot fails.

use std::collections::BTreeMap;

use embargo_domain::access::{Actor, Member};
use embargo_domain::ids::{CveId, Email, ProjectId, ProjectSlug, ReportId, UserId};
use embargo_domain::intake::NewReport;
use embargo_domain::lifecycle::{
    Change, Command, Contacts, MergeAcross, decide, merge, receive, split,
};
use embargo_domain::mail::{PlainTextReason, ask_for_plain_text};
use embargo_domain::policy::Policy;
use embargo_domain::record::{
    AffectedProduct, CnaRecord, Credit, CreditKind, Severity, VersionRange,
};
use embargo_domain::report::{Channel, NoticeKind, OutgoingMail, ProjectRef, Report};
use embargo_domain::triage::{Triage, TriageClass, TriageStatus};
use embargo_mail::templates::Templates;
use jiff::Timestamp;

const REPORT: &str = "EMB-7F3KQ2M9ZC4D";
const SECOND: &str = "EMB-2B6HW8XN5R1T";
const SPLIT_OFF: &str = "EMB-9D4MC7PV3K8E";
const ACROSS: &str = "EMB-4H8JR2T6WN3X";

fn now() -> Timestamp {
    "2026-11-19T10:00:00Z".parse().expect("time")
}

fn email(s: &str) -> Email {
    Email::parse(s).expect("email")
}

fn contacts() -> Contacts {
    Contacts {
        org_name: "Example Software Foundation".into(),
        org_security: email("security@example.org"),
        team: email("security@kafka.example.org"),
        users_list: None,
        status_url: Some("https://embargo.example.org/status/STATUS-TOKEN".into()),
        base_url: Some("https://embargo.example.org".into()),
        owner: None,
    }
}

fn kafka() -> ProjectRef {
    ProjectRef {
        id: ProjectId(7),
        slug: ProjectSlug::parse("kafka").expect("slug"),
        name: "Apache Kafka".into(),
        trusted: false,
    }
}

fn member(id: i64, org_team: bool) -> Actor {
    Actor::Member(Member {
        id: UserId(id),
        email: email(&format!("member{id}@example.org")),
        name: format!("Member {id}"),
        org_team,
        projects: vec![ProjectId(7)],
    })
}

fn received(id: &str, title: &str) -> Change {
    receive(
        NewReport {
            project: None,
            title: title.into(),
            description: "Connect deserializes untrusted data; steps to reproduce attached.".into(),
            affected_versions: Some("3.0.0 to 3.7.0".into()),
            reporter_name: Some("Rita Reporter".into()),
            reporter_email: Some(email("rita@research.example.net")),
            credit: Some("Rita Reporter of Example Research".into()),
        },
        ReportId::parse(id).expect("id"),
        Some(kafka()),
        Channel::Email,
        now(),
        &Policy::default(),
        &contacts(),
    )
    .expect("receive")
}

fn record() -> CnaRecord {
    CnaRecord {
        title: "Apache Kafka: RCE in Connect".into(),
        description: "Deserialization of untrusted data in Apache Kafka Connect lets an \
                      attacker run code."
            .into(),
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
            name: "Rita Reporter of Example Research".into(),
            kind: CreditKind::Finder,
        }],
        ..CnaRecord::default()
    }
}

fn step(report: &Report, command: Command, actor: &Actor) -> Change {
    let what = format!("{command:?}");
    decide(
        report,
        command,
        actor,
        now(),
        &Policy::default(),
        &contacts(),
    )
    .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// How a mail is reviewed: its recipients, subject and body, as it goes out.
fn shown(templates: &Templates, report: &Report, mail: &OutgoingMail) -> String {
    let (subject, body) = templates.render_mail(report, mail);
    let list = |v: &[Email]| v.iter().map(Email::as_str).collect::<Vec<_>>().join(", ");
    let cc = if mail.cc.is_empty() {
        String::new()
    } else {
        format!("Cc: {}\n", list(&mail.cc))
    };
    // A mail sent in a project's name says so (the announcement's copies).
    let from = mail
        .from
        .as_ref()
        .map(|f| format!("From: {f}\n"))
        .unwrap_or_default();
    format!(
        "{from}To: {}\n{cc}Subject: {subject}\n\n{body}",
        list(&mail.to)
    )
}

#[test]
fn every_builtin_notice_keeps_its_reviewed_wording() {
    let templates = Templates::builtin("Example Software Foundation");
    let org = member(1, true);
    let team = member(2, false);
    let mut by_kind: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut keep = |change: &Change| {
        for mail in &change.mails {
            let notice = mail
                .notice
                .as_ref()
                .expect("every lifecycle mail is a notice");
            by_kind.entry(notice.kind.as_str()).or_default().push(shown(
                &templates,
                &change.report,
                mail,
            ));
        }
    };

    // One report from receipt to announcement.
    let mut change = received(REPORT, "RCE in Kafka Connect");
    keep(&change);
    let mut accepted = None;
    for (command, actor) in [
        (Command::Acknowledge { message: None }, &team),
        (
            Command::Accept {
                disclosure_date: "2026-12-15".parse().expect("date"),
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
                cve: CveId::parse("CVE-2026-10000").expect("cve"),
            },
            &org,
        ),
        (Command::SaveRecord { record: record() }, &team),
        (
            Command::SendDraft {
                message: None,
                problems: vec![],
            },
            &team,
        ),
        (
            Command::RecordFix {
                fix_ref: "https://github.com/apache/kafka/commit/abc123".into(),
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
        let is_accept = matches!(command, Command::Accept { .. });
        change = step(&change.report, command, actor);
        keep(&change);
        if is_accept {
            accepted = Some(change.report.clone());
        }
    }

    // The steps off that path: a rejection, a request for plain text, a merge, a split.
    let other = received(SECOND, "Another RCE in Kafka Connect");
    keep(&step(
        &other.report,
        Command::Reject {
            reason: "This is the documented behaviour of the Connect REST API, which must \
                     not be exposed to untrusted networks."
                .into(),
        },
        &team,
    ));
    let mut html_only = received(SECOND, "Another RCE in Kafka Connect");
    html_only.mails.clear();
    ask_for_plain_text(&mut html_only, PlainTextReason::HtmlOnly);
    keep(&html_only);
    let first = received(REPORT, "RCE in Kafka Connect").report;
    let merged = merge(
        &other.report,
        &first,
        &org,
        now(),
        &contacts(),
        &MergeAcross {
            target_team: contacts().team,
            confirmed: false,
        },
    )
    .expect("merge");
    keep(&merged.source);
    keep(&merged.target);
    // A merge across projects: both teams are told.
    let mut camel = received(ACROSS, "Deserialisation in Camel's Kafka component").report;
    camel.project = Some(ProjectRef {
        id: ProjectId(8),
        slug: ProjectSlug::parse("camel").expect("slug"),
        name: "Apache Camel".into(),
        trusted: false,
    });
    let across = merge(
        &camel,
        &first,
        &org,
        now(),
        &Contacts {
            team: email("security@camel.example.org"),
            ..contacts()
        },
        &MergeAcross {
            target_team: contacts().team,
            confirmed: true,
        },
    )
    .expect("merge across projects");
    keep(&across.target);
    let accepted = accepted.expect("the report was accepted");
    let split = split(
        &accepted,
        ReportId::parse(SPLIT_OFF).expect("id"),
        &team,
        now(),
        &contacts(),
    )
    .expect("split");
    keep(&split.original);
    keep(&split.created);

    // The answer of each noise class, as confirming its triage sends it (spam gets none).
    for class in TriageClass::ALL.into_iter().filter(|c| c.is_noise()) {
        let mut suggested = received(SECOND, "Question about TLS").report;
        suggested.triage = Some(Triage {
            class,
            reasons: vec![],
            duplicate_of: None,
            status: TriageStatus::Suggested,
        });
        let c = decide(
            &suggested,
            Command::ConfirmTriage {
                class: None,
                findings: None,
            },
            &team,
            now(),
            &Policy::default(),
            &Contacts {
                users_list: Some(Email::parse("users@kafka.example.org").expect("email")),
                ..contacts()
            },
        )
        .expect("confirm");
        assert_eq!(c.mails.is_empty(), class == TriageClass::Spam, "{class:?}");
        keep(&c);
    }

    // The clocks' nudges (docs/clocks.md), with times in the project's zone.
    {
        use embargo_domain::clocks::{Deadline, Nudge, Place, nudge, timers};
        let contacts = contacts();
        let zone = "Europe/Amsterdam";
        let place = Place {
            contacts: &contacts,
            page: "https://embargo.example.org/reports/EMB-7F3KQ2M9ZC4D",
            time_zone: zone,
        };
        let due: Timestamp = "2026-12-15T10:00:00Z".parse().expect("time");
        let mut mails = Vec::new();
        for n in [Nudge::Reminder, Nudge::Escalation] {
            mails.extend(
                nudge(&accepted, (Deadline::Announce, due), n, now(), place).map(|(m, _)| m),
            );
        }
        mails.extend(timers::reporter_reminder(&accepted, now(), 14, now(), zone).map(|(m, _)| m));
        mails.extend(
            timers::reporter_silent_team(&accepted, now(), 14, now(), place).map(|(m, _)| m),
        );
        for mail in &mails {
            let kind = mail.notice.as_ref().expect("a notice").kind.as_str();
            by_kind
                .entry(kind)
                .or_default()
                .push(shown(&templates, &accepted, mail));
        }
    }

    let every: Vec<&str> = NoticeKind::ALL.iter().map(|k| k.as_str()).collect();
    let seen: Vec<&str> = by_kind.keys().copied().collect();
    let mut expected = every.clone();
    expected.sort_unstable();
    assert_eq!(seen, expected, "every notice kind is snapshotted");
    for kind in every {
        let mails = by_kind[kind].join("\n----- next mail -----\n");
        insta::assert_snapshot!(kind, mails);
    }
}
