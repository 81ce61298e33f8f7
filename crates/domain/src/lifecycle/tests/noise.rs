//! Triage decisions: closing as noise with the class's answer, dismissing, reopening,
//! and what a suggestion changes at intake.

use super::*;
use crate::triage::{Triage, TriageClass, TriageStatus};

fn suggested(class: TriageClass) -> Report {
    let mut r = received();
    r.triage = Some(Triage {
        class,
        reasons: vec!["asks how to configure TLS".into()],
        duplicate_of: None,
        status: TriageStatus::Suggested,
    });
    r
}

fn with_users_list() -> Contacts {
    Contacts {
        users_list: Some(Email::parse("users@kafka.example.org").unwrap()),
        ..contacts()
    }
}

#[test]
fn confirming_a_usage_question_answers_with_the_users_list_and_closes() {
    let r = suggested(TriageClass::UsersListQuestion);
    let c = decide(
        &r,
        Command::ConfirmTriage {
            class: None,
            findings: None,
        },
        &member(1, false),
        now(),
        &Policy::default(),
        &with_users_list(),
    )
    .unwrap();
    assert_eq!(c.report.state, ReportState::Closed);
    let t = c.report.triage.as_ref().unwrap();
    assert_eq!(
        (t.class, t.status),
        (TriageClass::UsersListQuestion, TriageStatus::Confirmed)
    );
    let mail = &c.mails[0];
    assert_eq!(mail.to[0].as_str(), "ann@example.net");
    assert!(
        mail.body.contains("users@kafka.example.org"),
        "{}",
        mail.body
    );
    assert_eq!(
        mail.notice.as_ref().unwrap().kind,
        NoticeKind::AnswerUsersListQuestion
    );
    assert_eq!(c.messages[0].kind, MessageKind::Team);
    assert_eq!(
        c.audit.detail,
        "confirmed users_list_question; received -> closed"
    );
    // Closed is final for every step but a reopen and the thread.
    let steps = available_steps(&c.report, &member(1, false), now(), &Policy::default());
    assert_eq!(steps, vec![Step::Reopen, Step::Reply, Step::Note]);
}

#[test]
fn the_team_may_correct_the_class_and_spam_gets_no_answer() {
    let r = suggested(TriageClass::InsufficientDetail);
    let c = step(
        &r,
        Command::ConfirmTriage {
            class: Some(TriageClass::Spam),
            findings: None,
        },
        &member(1, false),
    )
    .unwrap();
    let t = c.report.triage.as_ref().unwrap();
    assert_eq!(t.class, TriageClass::Spam);
    assert!(
        t.reasons
            .iter()
            .any(|r| r.contains("corrected the class from insufficient_detail"))
    );
    assert!(c.mails.is_empty() && c.messages.is_empty());
    let err = step(
        &r,
        Command::ConfirmTriage {
            class: Some(TriageClass::Report),
            findings: None,
        },
        &member(1, false),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("dismiss the suggestion instead"),
        "{err}"
    );
}

#[test]
fn an_accepted_report_is_never_closed_as_noise_and_a_report_without_suggestion_needs_a_class() {
    let err = step(
        &accepted(false),
        Command::ConfirmTriage {
            class: Some(TriageClass::Spam),
            findings: None,
        },
        &member(1, false),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("accepted report is a vulnerability"),
        "{err}"
    );
    let err = step(
        &received(),
        Command::ConfirmTriage {
            class: None,
            findings: None,
        },
        &member(1, false),
    )
    .unwrap_err();
    assert!(err.to_string().contains("name the class"), "{err}");
    // The reporter cannot close their own report.
    let spam = suggested(TriageClass::Spam);
    let err = step(
        &spam,
        Command::ConfirmTriage {
            class: None,
            findings: None,
        },
        &Actor::Reporter(spam.id.clone()),
    )
    .unwrap_err();
    assert!(err.to_string().contains("only the handling team"), "{err}");
}

#[test]
fn dismissing_keeps_a_report_and_reopening_brings_a_closed_one_back() {
    let r = suggested(TriageClass::ScannerOutput);
    let dismissed = step(&r, Command::DismissTriage, &member(1, false)).unwrap();
    assert_eq!(dismissed.report.state, ReportState::Received);
    assert_eq!(
        dismissed.report.triage.as_ref().unwrap().status,
        TriageStatus::Dismissed
    );
    assert!(dismissed.mails.is_empty());
    let err = step(&dismissed.report, Command::DismissTriage, &member(1, false)).unwrap_err();
    assert!(
        err.to_string().contains("no open noise suggestion"),
        "{err}"
    );

    let closed = step(
        &r,
        Command::ConfirmTriage {
            class: None,
            findings: None,
        },
        &member(1, false),
    )
    .unwrap()
    .report;
    let reopened = step(&closed, Command::Reopen, &member(2, false)).unwrap();
    assert_eq!(reopened.report.state, ReportState::Received);
    assert_eq!(
        reopened.report.triage.as_ref().unwrap().status,
        TriageStatus::Dismissed
    );
    assert_eq!(reopened.audit.action, "reopen");
    // The reporter of a closed report can still reply.
    assert!(
        step(
            &closed,
            Command::ReporterReply {
                body: "But it is real: see PoC".into()
            },
            &Actor::Reporter(closed.id.clone())
        )
        .is_ok()
    );
    let err = step(&r, Command::Reopen, &member(1, false)).unwrap_err();
    assert!(
        err.to_string().contains("only a report closed as noise"),
        "{err}"
    );
}

fn intake_change() -> Change {
    let new = Submission {
        project: Some("kafka".into()),
        title: "Buy cheap watches".into(),
        description: "best prices".into(),
        reporter_email: Some("spam@example.net".into()),
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
}

#[test]
fn at_intake_spam_gets_no_receipt_and_automatic_classes_close_at_once() {
    let spam = Triage {
        class: TriageClass::Spam,
        reasons: vec!["sells watches".into()],
        duplicate_of: None,
        status: TriageStatus::Suggested,
    };
    let mut c = intake_change();
    apply_triage(&mut c, spam.clone(), &Policy::default(), &contacts());
    assert_eq!(c.report.state, ReportState::Received);
    assert!(
        c.mails
            .iter()
            .all(|m| m.notice.as_ref().unwrap().kind != NoticeKind::Receipt)
    );
    assert!(
        c.mails
            .iter()
            .any(|m| m.notice.as_ref().unwrap().kind == NoticeKind::NewReport)
    );
    assert!(
        c.audit
            .detail
            .ends_with("; triage: spam suggested, no automatic answer sent"),
        "{}",
        c.audit.detail
    );

    let mut policy = Policy::default();
    policy.triage.automatic = vec![TriageClass::UsersListQuestion];
    let mut c = intake_change();
    apply_triage(
        &mut c,
        Triage {
            class: TriageClass::UsersListQuestion,
            ..spam.clone()
        },
        &policy,
        &with_users_list(),
    );
    assert_eq!(c.report.state, ReportState::Closed);
    assert!(
        c.mails
            .iter()
            .any(|m| m.notice.as_ref().unwrap().kind == NoticeKind::AnswerUsersListQuestion)
    );
    // A class that is not automatic waits for the team.
    let mut c = intake_change();
    apply_triage(
        &mut c,
        Triage {
            class: TriageClass::LicenseQuestion,
            ..spam
        },
        &policy,
        &contacts(),
    );
    assert_eq!(c.report.state, ReportState::Received);
}
