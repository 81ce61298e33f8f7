//! The announcement: its destinations, its sender, who it speaks for, and the
//! confirmations an early announcement or a late disclosure date need.

use super::*;
use crate::announce::{Destination, Sender};
use crate::report::MailOrigin;

/// A fixed report, ready to announce, agreed to be disclosed on `disclosure`.
fn fixed(disclosure: &str) -> Report {
    let mut r = received();
    r.state = ReportState::Fixed;
    r.accepted_at = Some(now());
    r.disclosure_date = Some(disclosure.parse().unwrap());
    r.cve = Some(CveId::parse("CVE-2026-10000").unwrap());
    r.cna_record = Some(record());
    r.fix_ref = Some("abc123".into());
    r.release_ref = Some("3.7.1".into());
    r
}

fn policy(to: &[&str]) -> Policy {
    Policy {
        announce_to: to.iter().map(|d| Destination::parse(d).unwrap()).collect(),
        ..Policy::default()
    }
}

fn announce(r: &Report, policy: &Policy, contacts: &Contacts) -> Result<Change, DomainError> {
    decide(
        r,
        Command::Announce {
            confirm_early: false,
        },
        &member(2, false),
        now(),
        policy,
        contacts,
    )
}

#[test]
fn each_destination_gets_its_own_copy_from_the_project_as_a_human_mail() {
    let contacts = Contacts {
        users_list: Some(Email::parse("users@kafka.example.org").unwrap()),
        ..contacts()
    };
    let policy = policy(&[
        "users_list",
        "security_list",
        "reporter",
        "oss-security@lists.openwall.com",
    ]);
    let c = announce(&fixed("2026-11-19"), &policy, &contacts).unwrap();
    assert_eq!(c.report.state, ReportState::Announced);
    let to: Vec<(&str, &str)> = c
        .mails
        .iter()
        .map(|m| {
            assert!(m.cc.is_empty(), "one recipient a copy: {m:?}");
            (m.destination.as_ref().unwrap().kind(), m.to[0].as_str())
        })
        .collect();
    assert_eq!(
        to,
        [
            ("users_list", "users@kafka.example.org"),
            ("security_list", "security@kafka.example.org"),
            ("reporter", "ann@example.net"),
            ("address", "oss-security@lists.openwall.com"),
        ]
    );
    for m in &c.mails {
        assert_eq!(m.origin, MailOrigin::HumanApproved);
        assert_eq!(
            m.from.as_ref().unwrap().to_string(),
            "Apache Kafka Security <security@kafka.example.org>"
        );
        assert!(m.subject.starts_with("CVE-2026-10000: "), "{}", m.subject);
    }
    assert!(
        c.audit.detail.contains(
            "announcement to users_list, security_list, reporter, oss-security@lists.openwall.com"
        ),
        "{}",
        c.audit.detail
    );
    assert!(!c.audit.detail.contains("ann@example.net"));
}

#[test]
fn a_destination_without_an_address_or_with_one_already_served_is_not_sent_twice() {
    // No users list, the organisation as the handling team, a reporter without address.
    let contacts = Contacts {
        team: Email::parse("security@example.org").unwrap(),
        ..contacts()
    };
    let mut r = fixed("2026-11-19");
    r.reporter.email = None;
    let c = announce(
        &r,
        &policy(&["users_list", "security_list", "reporter", "organisation"]),
        &contacts,
    )
    .unwrap();
    assert_eq!(c.mails.len(), 1);
    assert_eq!(c.mails[0].to[0].as_str(), "security@example.org");
    // The organisation's own list: named after the organisation.
    assert_eq!(
        c.mails[0].from.as_ref().unwrap().name,
        "Example Foundation Security"
    );
    assert!(
        c.audit.detail.contains(
            "not to users_list (no address), reporter (no address), organisation (the same address as security_list)"
        ),
        "{}",
        c.audit.detail
    );
}

#[test]
fn the_configured_sender_is_used_as_written() {
    let policy = Policy {
        announce_from: Some(
            Sender::parse("\"Example, Inc. (PMC)\" <pmc@kafka.example.org>").unwrap(),
        ),
        ..Policy::default()
    };
    let c = announce(&fixed("2026-11-19"), &policy, &contacts()).unwrap();
    // The defaults: the team, the reporter and the organisation team, as before.
    assert_eq!(c.mails.len(), 3);
    let from = c.mails[0].from.as_ref().unwrap();
    assert_eq!(
        (from.name.as_str(), from.address.as_str()),
        ("Example, Inc. (PMC)", "pmc@kafka.example.org")
    );
}

#[test]
fn announcing_before_the_agreed_date_needs_a_confirmation_and_is_audited() {
    let r = fixed("2026-12-15");
    let err = announce(&r, &Policy::default(), &contacts()).unwrap_err();
    assert!(
        matches!(
            &err,
            DomainError::Invalid {
                field: "confirm_early",
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("2026-12-15") && text.contains("2026-11-19"),
        "{text}"
    );
    let c = decide(
        &r,
        Command::Announce {
            confirm_early: true,
        },
        &member(2, false),
        now(),
        &Policy::default(),
        &contacts(),
    )
    .unwrap();
    assert!(
        c.audit.detail.contains(
            "announced on 2026-11-19, before the agreed disclosure date 2026-12-15 (confirmed)"
        ),
        "{}",
        c.audit.detail
    );
    // On the day itself, in the project's time zone, no confirmation is asked.
    let on_the_day = announce(&fixed("2026-11-19"), &Policy::default(), &contacts()).unwrap();
    assert!(!on_the_day.audit.detail.contains("before the agreed"));
}

#[test]
fn a_disclosure_date_past_the_policy_target_needs_a_confirmation_and_is_audited() {
    let acked = step(
        &received(),
        Command::Acknowledge { message: None },
        &member(2, false),
    )
    .unwrap()
    .report;
    let accept = |date: &str, confirm_late: bool| {
        step(
            &acked,
            Command::Accept {
                disclosure_date: date.parse().unwrap(),
                message: None,
                confirm_late,
            },
            &member(2, false),
        )
    };
    // 30 days from 2026-11-19 is 2026-12-19: that day is within the target.
    let on_target = accept("2026-12-19", false).unwrap();
    assert!(!on_target.audit.detail.contains("target"));
    let err = accept("2026-12-20", false).unwrap_err();
    assert!(
        matches!(
            &err,
            DomainError::Invalid {
                field: "confirm_late",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("2026-12-19"), "{err}");
    let c = accept("2026-12-20", true).unwrap();
    assert_eq!(
        c.report.disclosure_date,
        Some("2026-12-20".parse().unwrap())
    );
    assert!(
        c.audit
            .detail
            .contains("disclosure 2026-12-20, after the policy's target 2026-12-19 (confirmed)"),
        "{}",
        c.audit.detail
    );
}

#[test]
fn relayed_words_are_human_and_notices_automatic() {
    let r = received();
    let reply = step(
        &r,
        Command::Reply {
            body: "Could you send the stack trace?".into(),
        },
        &member(2, false),
    )
    .unwrap();
    assert_eq!(reply.mails[0].origin, MailOrigin::HumanApproved);
    let theirs = decide(
        &r,
        Command::ReporterReply {
            body: "Here it is.".into(),
        },
        &Actor::Reporter(r.id.clone()),
        now(),
        &Policy::default(),
        &contacts(),
    )
    .unwrap();
    assert_eq!(theirs.mails[0].origin, MailOrigin::HumanApproved);
    let ack = step(
        &r,
        Command::Acknowledge { message: None },
        &member(2, false),
    )
    .unwrap();
    assert!(ack.mails.iter().all(|m| m.origin == MailOrigin::Automatic));
}
