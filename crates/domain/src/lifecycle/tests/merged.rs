//! The reporters of merged reports: the draft and the announcement at their own
//! address, never the other reporter's name; their credit on the record whenever it is
//! written; merges across projects confirmed and told to both teams.

use super::*;

const ANN: &str = "Ann Smith";
const BO: &str = "Bo of Elsewhere";

/// A (CVE assigned, Ann's credit on a complete record) with B (Bo's report) merged into
/// it: (A, B) as stored after the merge.
fn merged_pair() -> (Report, Report) {
    let team = member(2, false);
    let mut a = with_cve_assigned();
    a.reporter.credit = Some(ANN.into());
    let mut rec = record();
    rec.credits = vec![Credit {
        name: ANN.into(),
        kind: CreditKind::Finder,
    }];
    a = step(&a, Command::SaveRecord { record: rec }, &team)
        .unwrap()
        .report;
    let b = second_report();
    let m = merge(
        &b,
        &a,
        &member(1, true),
        now(),
        &contacts(),
        &same_project(),
    )
    .unwrap();
    (m.target.report, m.source.report)
}

fn mail_to<'a>(c: &'a Change, address: &str) -> Vec<&'a OutgoingMail> {
    c.mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.as_str() == address))
        .collect()
}

/// What `command` on A tells B's reporter: A's decided change and B's change.
fn told(a: &Report, b: &Report, command: Command, policy: &Policy) -> (Change, Vec<Change>) {
    let team = member(2, false);
    let notice = MergedNotice::of(&command).expect("a step merged reporters hear of");
    let c = decide(a, command, &team, now(), policy, &contacts()).unwrap();
    let side = tell_merged(
        &c.report,
        std::slice::from_ref(b),
        &notice,
        &team,
        now(),
        policy,
        &contacts(),
    );
    (c, side)
}

#[test]
fn the_merged_reporter_reviews_the_draft_on_their_own_report_without_the_other_name() {
    let (a, b) = merged_pair();
    let credits = a.cve_record().unwrap().credits;
    assert!(credits.iter().any(|c| c.name == BO), "{credits:?}");
    let draft = Command::SendDraft {
        message: None,
        problems: vec![],
    };
    let (sent, side) = told(&a, &b, draft, &Policy::default());

    // B's own change: B's thread and B's mail, under B's id, nothing of A.
    assert_eq!(side.len(), 1);
    let bc = &side[0];
    assert_eq!(bc.report.id, b.id);
    assert_eq!(bc.report.state, ReportState::Merged);
    let bo = mail_to(bc, "bo@elsewhere.example");
    assert_eq!(bo.len(), 1);
    let bo = bo[0];
    assert_eq!(
        bo.subject,
        format!("[{}] Draft announcement for your review", b.id)
    );
    assert!(bo.cc.is_empty(), "{:?}", bo.cc);
    assert_eq!(bo.notice.as_ref().unwrap().kind, NoticeKind::Draft);
    let on_page = &bc.messages[0];
    assert!(on_page.kind.visible_to_reporter());
    let texts = [
        bo.body.clone(),
        bo.notice.as_ref().unwrap().vars["draft_body"].clone(),
        on_page.body.clone(),
    ];
    for text in &texts {
        assert!(text.contains(BO), "{text}");
        assert!(text.contains("CVE-2026-10000"), "{text}");
        for secret in [ANN, "ann@example.net", a.id.as_str()] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    assert!(
        bo.body
            .contains("Others who reported the same vulnerability")
    );

    // Ann's draft keeps her credit and leaves out Bo's; A's change mails nobody else.
    let ann = mail_to(&sent, "ann@example.net");
    assert_eq!(ann.len(), 1);
    assert!(ann[0].body.contains(ANN));
    assert!(!ann[0].body.contains(BO), "{}", ann[0].body);
    assert!(mail_to(&sent, "bo@elsewhere.example").is_empty());
    for m in sent
        .messages
        .iter()
        .filter(|m| m.kind.visible_to_reporter())
    {
        assert!(
            !m.body.contains(BO) && !m.body.contains(b.id.as_str()),
            "{}",
            m.body
        );
    }
    assert!(
        sent.audit.detail.contains("1 merged report"),
        "{}",
        sent.audit.detail
    );
    // Other steps tell the merged reporters nothing.
    assert_eq!(MergedNotice::of(&Command::Note { body: "x".into() }), None);
}

#[test]
fn a_record_written_after_the_merge_credits_the_merged_reporter() {
    let org = member(1, true);
    let team = member(2, false);
    let a = with_cve_assigned();
    let m = merge(
        &second_report(),
        &a,
        &org,
        now(),
        &contacts(),
        &same_project(),
    )
    .unwrap();
    assert!(m.target.report.cve_record().is_none());
    // The team writes the record without Bo: Bo is credited all the same, as finder.
    let saved = step(
        &m.target.report,
        Command::SaveRecord { record: record() },
        &team,
    )
    .unwrap()
    .report;
    let credits = saved.cve_record().unwrap().credits;
    assert!(
        credits
            .iter()
            .any(|c| c.name == BO && c.kind == CreditKind::Finder),
        "{credits:?}"
    );
    assert!(credits.iter().any(|c| c.name == "Ann"), "{credits:?}");
    // Saved again, still once.
    let again = step(
        &saved,
        Command::SaveRecord {
            record: saved.cve_record().unwrap(),
        },
        &team,
    )
    .unwrap()
    .report;
    let bo = again.cve_record().unwrap().credits;
    assert_eq!(bo.iter().filter(|c| c.name == BO).count(), 1);
}

#[test]
fn the_announcement_reaches_the_merged_reporter_when_it_goes_to_reporters() {
    let (mut a, b) = merged_pair();
    a.state = ReportState::Fixed;
    a.fix_ref = Some("abc123".into());
    a.release_ref = Some("3.7.1".into());
    let announce = || Command::Announce {
        confirm_early: true,
    };
    let (c, side) = told(&a, &b, announce(), &Policy::default());
    assert_eq!(mail_to(&c, "ann@example.net").len(), 1);
    let bo = mail_to(&side[0], "bo@elsewhere.example");
    assert_eq!(bo.len(), 1);
    assert_eq!(
        bo[0].destination,
        Some(crate::announce::Destination::Reporter)
    );
    assert!(
        bo[0].subject.starts_with("CVE-2026-10000"),
        "{}",
        bo[0].subject
    );
    // Public now: the announcement credits both.
    assert!(bo[0].body.contains(BO) && bo[0].body.contains(ANN));
    assert!(
        side[0].messages[0]
            .body
            .contains("announced as CVE-2026-10000")
    );
    // A policy that does not send it to the reporter does not send it to Bo either; his
    // page still says it.
    let lists_only = Policy {
        announce_to: vec![crate::announce::Destination::SecurityList],
        ..Policy::default()
    };
    let (_, side) = told(&a, &b, announce(), &lists_only);
    assert!(side[0].mails.is_empty());
    assert_eq!(side[0].messages.len(), 1);
}

fn camel() -> ProjectRef {
    ProjectRef {
        id: ProjectId(8),
        slug: ProjectSlug::parse("camel").unwrap(),
        name: "Apache Camel".into(),
        trusted: false,
    }
}

#[test]
fn a_merge_across_projects_is_confirmed_and_told_to_both_teams() {
    let org = member(1, true);
    let a = accepted(false);
    let mut b = second_report();
    b.project = Some(camel());
    // B's contacts: the Camel team.
    let b_contacts = Contacts {
        team: Email::parse("security@camel.example.org").unwrap(),
        ..contacts()
    };
    let kafka_team = contacts().team;
    let unconfirmed = MergeAcross {
        target_team: kafka_team.clone(),
        confirmed: false,
    };
    let err = merge(&b, &a, &org, now(), &b_contacts, &unconfirmed).unwrap_err();
    let DomainError::Invalid { field, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*field, "confirm_cross_project");
    assert!(
        message.contains("Apache Camel") && message.contains("Apache Kafka"),
        "{message}"
    );

    let confirmed = MergeAcross {
        confirmed: true,
        ..unconfirmed
    };
    let m = merge(&b, &a, &org, now(), &b_contacts, &confirmed).unwrap();
    let teams: Vec<&OutgoingMail> = m
        .target
        .mails
        .iter()
        .filter(|mail| mail.to.contains(&kafka_team))
        .collect();
    assert_eq!(teams.len(), 1);
    let mail = teams[0];
    assert!(mail.to.contains(&b_contacts.team), "{:?}", mail.to);
    assert_eq!(mail.cc, vec![contacts().org_security]);
    for id in [a.id.as_str(), b.id.as_str()] {
        assert!(mail.body.contains(id), "{}", mail.body);
    }
    // The reporters hear nothing of it beyond the usual merge notice.
    assert!(mail.to.iter().all(|t| !t.as_str().contains("elsewhere")));

    // An unrouted report belongs to no project: merging it needs no confirmation.
    let mut unrouted = second_report();
    unrouted.project = None;
    assert!(merge(&unrouted, &a, &org, now(), &contacts(), &same_project()).is_ok());
}
