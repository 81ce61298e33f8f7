//! Mail templates: the built-in wording by default, an organisation override, a
//! project override winning over it, broken templates refused at load with file and
//! line, and hostile values rendered as typed without reaching the headers.

use std::path::Path;

use embargo_domain::access::{Actor, Member};
use embargo_domain::ids::{Email, ProjectId, ProjectSlug, ReportId, UserId};
use embargo_domain::intake::NewReport;
use embargo_domain::lifecycle::{Change, Command, Contacts, MergeAcross, decide, merge, receive};
use embargo_domain::policy::Policy;
use embargo_domain::report::{Channel, NoticeKind, ProjectRef};
use embargo_mail::templates::Templates;
use jiff::Timestamp;

fn contacts() -> Contacts {
    Contacts {
        org_name: "Example".into(),
        org_security: Email::parse("security@example.org").expect("email"),
        team: Email::parse("security@kafka.example.org").expect("email"),
        users_list: None,
        status_url: Some("https://embargo.example.org/status/abc".into()),
        base_url: None,
        owner: None,
    }
}

fn project(slug: &str) -> ProjectRef {
    ProjectRef {
        id: ProjectId(7),
        slug: ProjectSlug::parse(slug).expect("slug"),
        name: format!("Project {slug}"),
        trusted: false,
    }
}

fn received(title: &str, slug: &str) -> Change {
    receive(
        NewReport {
            project: None,
            title: title.into(),
            description: "d".into(),
            affected_versions: None,
            reporter_name: Some("Rita".into()),
            reporter_email: Some(Email::parse("rita@example.net").expect("email")),
            credit: None,
        },
        ReportId::generate(),
        Some(project(slug)),
        Channel::Email,
        Timestamp::now(),
        &Policy::default(),
        &contacts(),
    )
    .expect("receive")
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

#[test]
fn without_overrides_every_mail_keeps_the_builtin_wording() {
    let t = Templates::builtin("Example");
    let change = received("Overflow", "kafka");
    let member = Actor::Member(Member {
        id: UserId(1),
        email: Email::parse("ann@example.org").expect("email"),
        name: "Ann".into(),
        org_team: true,
        projects: vec![ProjectId(7)],
    });
    let ack = decide(
        &change.report,
        Command::Acknowledge { message: None },
        &member,
        Timestamp::now(),
        &Policy::default(),
        &contacts(),
    )
    .expect("acknowledge");
    for mail in change.mails.iter().chain(&ack.mails) {
        assert!(mail.notice.is_some(), "{}", mail.subject);
        assert_eq!(
            t.render_mail(&change.report, mail),
            (mail.subject.clone(), mail.body.clone())
        );
    }
    // The same with a loaded directory that has no file for these kinds.
    let dir = tempfile::tempdir().expect("dir");
    write(
        dir.path(),
        "kafka/rejected.txt",
        "Subject: no\n\n{{ reason }}\n",
    );
    let t = Templates::load(dir.path(), "Example").expect("load");
    let receipt = &change.mails[0];
    assert_eq!(
        t.render_mail(&change.report, receipt),
        (receipt.subject.clone(), receipt.body.clone())
    );
}

#[test]
fn a_project_override_wins_over_the_organisation_one() {
    let dir = tempfile::tempdir().expect("dir");
    write(
        dir.path(),
        "receipt.txt",
        "Subject: We got it: {{ title }}\n\nDear {{ reporter_name }},\n{{ default_body }}\n-- {{ org_name }}\n",
    );
    write(
        dir.path(),
        "kafka/receipt.txt",
        "Subject: [{{ report_id }}] Kafka received it\n\nKafka thanks you. Link: {{ status_url }}\n",
    );
    let t = Templates::load(dir.path(), "Example Foundation").expect("load");
    assert_eq!(t.len(), 2);

    let other = received("Overflow", "zookeeper");
    let receipt = other
        .mails
        .iter()
        .find(|m| {
            m.notice
                .as_ref()
                .is_some_and(|n| n.kind == NoticeKind::Receipt)
        })
        .expect("receipt");
    let (subject, body) = t.render_mail(&other.report, receipt);
    assert_eq!(
        subject,
        format!("[{}] We got it: Overflow", other.report.id),
        "the token is added when the template leaves it out"
    );
    assert!(
        body.starts_with("Dear Rita,\nThank you for your report."),
        "{body}"
    );
    assert!(body.ends_with("-- Example Foundation\n"), "{body}");

    let kafka = received("Overflow", "kafka");
    let (subject, body) = t.render_mail(&kafka.report, &kafka.mails[0]);
    assert_eq!(subject, format!("[{}] Kafka received it", kafka.report.id));
    assert_eq!(
        body,
        "Kafka thanks you. Link: https://embargo.example.org/status/abc\n"
    );
    // The team's notice has no override: built-in wording.
    let team = &kafka.mails[1];
    assert_eq!(t.render_mail(&kafka.report, team).0, team.subject);
}

#[test]
fn broken_templates_are_refused_at_load_with_file_and_line() {
    let dir = tempfile::tempdir().expect("dir");
    write(
        dir.path(),
        "acknowledged.txt",
        "Subject: ok\n\nline one\nline two {{ message \n",
    );
    write(
        dir.path(),
        "kafka/rejected.txt",
        "Subject: ok\n\nfine\n{{ reasn }}\n",
    );
    write(dir.path(), "reciept.txt", "Subject: typo\n\nx\n");
    write(dir.path(), "accepted.txt", "no subject line\n");
    let errors = Templates::load(dir.path(), "Example").expect_err("refused");
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let text = text.join("\n");
    assert_eq!(errors.len(), 4, "{text}");
    assert!(text.contains("acknowledged.txt:4: "), "{text}");
    assert!(
        text.contains("kafka/rejected.txt:4: unknown variable; rejected may use"),
        "{text}"
    );
    assert!(
        text.contains("reciept.txt: no mail is called \"reciept\""),
        "{text}"
    );
    assert!(
        text.contains("accepted.txt:1: the first line must be"),
        "{text}"
    );
}

#[test]
fn hostile_values_are_rendered_as_typed_and_cannot_add_headers() {
    let dir = tempfile::tempdir().expect("dir");
    write(
        dir.path(),
        "new_report.txt",
        "Subject: New: {{ title }}\n\nTitle: {{ title }}\n",
    );
    let t = Templates::load(dir.path(), "Example").expect("load");
    let mut change = received("{{ 7*7 }} {% if true %}x{% endif %}", "kafka");
    // Titles are one line in the domain; a stored one with CR LF must still be harmless.
    change.report.title.push_str("\r\nBcc: eve@evil.example");
    let team = &change.mails[1];
    let (subject, body) = t.render_mail(&change.report, team);
    assert!(!subject.contains(['\r', '\n']), "{subject:?}");
    assert_eq!(
        subject,
        format!(
            "[{}] New: {{{{ 7*7 }}}} {{% if true %}}x{{% endif %}} Bcc: eve@evil.example",
            change.report.id
        )
    );
    assert!(body.contains("{{ 7*7 }}"), "{body}");
    assert!(!body.contains("49"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn queued_mail_is_worded_by_the_templates_in_the_same_transaction() {
    use embargo_store::test_support::fresh_store;
    use embargo_store::{Mailbox, Organisation, Organisations, Reports};
    use jiff::SignedDuration;

    let dir = tempfile::tempdir().expect("dir");
    write(
        dir.path(),
        "receipt.txt",
        "Subject: Received: {{ title }}\n\nTemplated receipt.\n",
    );
    let templates = std::sync::Arc::new(Templates::load(dir.path(), "Example").expect("load"));
    for (backend, store, _db) in fresh_store().await {
        let store = store
            .with_mail_renderer(templates.clone())
            .with_mail_domain("mail.example.org");
        store
            .init_organisation(&Organisation {
                name: "Example".into(),
                security_email: Email::parse("security@example.org").expect("email"),
            })
            .await
            .expect("org");
        let mut change = received("Overflow", "kafka");
        change.report.project = None;
        let token = embargo_domain::token::Token::generate();
        let report = store
            .create_report(&change, &token.digest())
            .await
            .expect("create");
        let now = Timestamp::now();
        let queued = store
            .claim_outgoing("t", now, now + SignedDuration::from_mins(1), 100)
            .await
            .expect("claim");
        let receipt = queued
            .iter()
            .find(|q| q.to[0].as_str() == "rita@example.net")
            .expect("receipt queued");
        assert_eq!(
            receipt.subject,
            format!("[{}] Received: Overflow", report.id),
            "{backend}"
        );
        assert_eq!(receipt.body, "Templated receipt.\n", "{backend}");
        for q in &queued {
            assert!(
                q.message_id.ends_with("@mail.example.org>"),
                "{backend}: {}",
                q.message_id
            );
        }
    }
}

#[test]
fn the_merged_reporters_mail_has_its_template_and_only_its_own_report() {
    let dir = tempfile::tempdir().expect("dir");
    write(
        dir.path(),
        "merged.txt",
        "Subject: {{ title }} is handled with another report\n\nCredit: {{ credit }}\n{{ status_url }}\n",
    );
    let t = Templates::load(dir.path(), "Example").expect("load");
    let org = Actor::Member(Member {
        id: UserId(1),
        email: Email::parse("cna@example.org").expect("email"),
        name: "Cee".into(),
        org_team: true,
        projects: vec![],
    });
    let a = received("The first report", "kafka").report;
    let mut b = received("The second report", "kafka").report;
    b.reporter.credit = Some("Bo".into());
    let m = merge(
        &b,
        &a,
        &org,
        Timestamp::now(),
        &contacts(),
        &MergeAcross {
            target_team: contacts().team,
            confirmed: false,
        },
    )
    .expect("merge");
    let mail = &m.source.mails[0];
    let (subject, body) = t.render_mail(&m.source.report, mail);
    assert_eq!(
        subject,
        format!(
            "[{}] The second report is handled with another report",
            b.id
        )
    );
    assert_eq!(body, "Credit: Bo\nhttps://embargo.example.org/status/abc\n");
    assert!(!subject.contains(a.id.as_str()) && !body.contains(a.id.as_str()));
}
