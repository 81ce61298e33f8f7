//! The intake path on every backend: new reports by mail, routing, duplicates,
//! threading, team replies, held mail, the plain-text rule, attachments, the corpus.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use embargo_app::{App, Ports, Settings};
use embargo_domain::ids::{Email, ProjectSlug, ReportId};
use embargo_domain::policy::{Policy, PolicyOverrides};
use embargo_domain::report::{Channel, MessageKind};
use embargo_formats::cve5::Cna;
use embargo_mail::smtp::Envelope;
use embargo_mail::{Ingestor, MailError, MailLimits, Outcome, Reader};
use embargo_store::test_support::fresh_store;
use embargo_store::{
    Mailbox, Organisation, Organisations, ProjectInput, Projects, Reports, SqlStore, Store,
};
use jiff::{SignedDuration, Timestamp};

mod lists;
mod senders;
mod team_mail;
mod triage;

const ORG: &str = "security@example.org";
const KAFKA: &str = "security@kafka.example.org";
const ALICE: &str = "alice@example.org";
const ANN: &str = "ann@researcher.example";

async fn setup(store: &SqlStore) -> Ingestor {
    setup_with(store, 64 * 1024).await
}

/// An organisation with the project `kafka` (Alice on its team), and an ingestor over
/// it taking messages up to `max_message_bytes`.
pub(crate) async fn setup_with(store: &SqlStore, max_message_bytes: usize) -> Ingestor {
    let organisation = Organisation {
        name: "Example".into(),
        security_email: Email::parse(ORG).unwrap(),
    };
    store.init_organisation(&organisation).await.unwrap();
    store
        .upsert_project(&ProjectInput {
            slug: ProjectSlug::parse("kafka").unwrap(),
            name: "Apache Kafka".into(),
            security_email: Some(Email::parse(KAFKA).unwrap()),
            users_list: None,
            security_model_url: None,
            team: vec![Email::parse(ALICE).unwrap()],
            policy: PolicyOverrides::default(),
            trusted: false,
        })
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(store.clone());
    let settings = Settings {
        base_url: "http://embargo.test".into(),
        organisation,
        default_policy: Policy::default(),
        cna: Cna {
            org_id: "00000000-0000-4000-8000-000000000000".into(),
            short_name: "example".into(),
            vendor: "Example".into(),
        },
        record_schema: None,
    };
    let ports = Ports {
        cve_program: None,
        mail_reader: Some(Arc::new(Reader)),
    };
    Ingestor::new(
        App::new(store, settings, ports),
        MailLimits {
            max_message_bytes,
            max_attachment_bytes: 1024,
        },
    )
}

fn mail(from: &str, to: &str, subject: &str, extra: &str, body: &str) -> Vec<u8> {
    let id = hex(rand_bytes());
    format!(
        "From: Ann R\u{e9}searcher <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}@mail.test>\r\n\
         Date: Mon, 1 Jun 2026 10:00:00 +0000\r\n{extra}\r\n{body}"
    )
    .into_bytes()
}

fn rand_bytes() -> [u8; 12] {
    use std::time::{SystemTime, UNIX_EPOCH};
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut b = [0u8; 12];
    b[..8].copy_from_slice(&t.to_le_bytes());
    b[8..].copy_from_slice(&(n as u32).to_le_bytes());
    b
}

fn hex(b: [u8; 12]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn new_id(outcome: Outcome) -> ReportId {
    match outcome {
        Outcome::NewReport(id) => id,
        other => panic!("expected a new report, got {other:?}"),
    }
}

/// The Message-ID of the last mail queued to `to` for `report`.
async fn last_sent_to(store: &SqlStore, report: &ReportId, to: &str) -> String {
    let now = Timestamp::now();
    let claimed = store
        .claim_outgoing("test", now, now + SignedDuration::from_secs(1), 1000)
        .await
        .unwrap();
    claimed
        .iter()
        .rev()
        .find(|m| m.report.as_ref() == Some(report) && m.to.iter().any(|e| e.as_str() == to))
        .map(|m| m.message_id.clone())
        .unwrap_or_else(|| panic!("no mail to {to}"))
}

#[tokio::test]
async fn a_mail_becomes_a_routed_report_with_a_receipt_once() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        let raw = mail(
            ANN,
            KAFKA,
            "Deserialization in =?utf-8?q?Connect_=E2=80=94?= REST",
            "",
            "Steps:\r\n1. POST /connectors\r\n",
        );
        let id = new_id(ingestor.ingest(&raw, None).await.unwrap());
        let report = store.report(&id).await.unwrap().unwrap();
        assert_eq!(report.channel, Channel::Email, "{backend}");
        assert_eq!(
            report.project.as_ref().unwrap().slug.as_str(),
            "kafka",
            "{backend}"
        );
        assert_eq!(
            report.title, "Deserialization in Connect \u{2014} REST",
            "{backend}"
        );
        assert_eq!(
            report.description, "Steps:\n1. POST /connectors",
            "{backend}"
        );
        assert_eq!(report.reporter.email.as_ref().unwrap().as_str(), ANN);
        assert_eq!(report.reporter.name.as_deref(), Some("Ann R\u{e9}searcher"));
        assert!(
            report.deadlines.acknowledge_by.is_some(),
            "same deadlines as the web form"
        );
        let outbox = store.outbox_for_report(&id).await.unwrap();
        assert!(
            outbox
                .iter()
                .any(|m| m.to[0].as_str() == ANN && m.subject.contains("Report received")),
            "{backend}: receipt"
        );
        assert!(
            outbox.iter().any(|m| m.to[0].as_str() == KAFKA),
            "{backend}: team told"
        );
        assert_eq!(store.audit_log(&id).await.unwrap()[0].action, "received");

        // The same message again (an MTA retry, a resend): one report, no new mail.
        assert_eq!(
            ingestor.ingest(&raw, None).await.unwrap(),
            Outcome::Duplicate,
            "{backend}"
        );
        assert_eq!(
            store.outbox_for_report(&id).await.unwrap().len(),
            outbox.len()
        );
        assert_eq!(store.incoming_for_report(&id).await.unwrap().len(), 1);

        // Plus-addressing and the envelope route too; an unknown address goes to the org team.
        let plus = mail(ANN, ORG, "x", "", "text");
        let envelope = Envelope {
            mail_from: ANN.into(),
            recipients: vec!["security+kafka@example.org".into()],
        };
        let id = new_id(ingestor.ingest(&plus, Some(&envelope)).await.unwrap());
        assert_eq!(
            store
                .report(&id)
                .await
                .unwrap()
                .unwrap()
                .project
                .unwrap()
                .slug
                .as_str(),
            "kafka"
        );
        let id = new_id(
            ingestor
                .ingest(&mail(ANN, ORG, "", "", "text"), None)
                .await
                .unwrap(),
        );
        let report = store.report(&id).await.unwrap().unwrap();
        assert!(report.project.is_none(), "{backend}");
        assert_eq!(report.title, "(no subject)");
    }
}

#[tokio::test]
async fn replies_thread_and_go_where_they_belong() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        let id = new_id(
            ingestor
                .ingest(&mail(ANN, KAFKA, "Bug", "", "the bug"), None)
                .await
                .unwrap(),
        );
        let receipt_id = last_sent_to(&store, &id, ANN).await;

        // The reporter answers our receipt (In-Reply-To our Message-ID).
        let reply = mail(
            ANN,
            ORG,
            "Re: something",
            &format!("In-Reply-To: {receipt_id}\r\n"),
            "More detail.\r\n",
        );
        assert_eq!(
            ingestor.ingest(&reply, None).await.unwrap(),
            Outcome::ReporterReply(id.clone()),
            "{backend}"
        );

        // A team member answers a mail the reporter got (here the receipt): relayed.
        // (Answers to team-only mail stay internal: see `team_mail`.)
        let team = mail(
            ALICE,
            ORG,
            &format!("Re: [{id}] Report received"),
            &format!("In-Reply-To: {receipt_id}\r\n"),
            "Thanks, we are on it.\r\n",
        );
        assert_eq!(
            ingestor.ingest(&team, None).await.unwrap(),
            Outcome::TeamReply(id.clone()),
            "{backend}"
        );
        let outbox = store.outbox_for_report(&id).await.unwrap();
        assert!(
            outbox
                .iter()
                .any(|m| m.to[0].as_str() == ANN
                    && m.subject.contains("Message from the security team")),
            "{backend}: the team's reply is relayed to the reporter"
        );

        // A stranger on the thread: held, internal, never relayed.
        let before = store.outbox_for_report(&id).await.unwrap();
        let stranger = mail(
            "eve@elsewhere.example",
            ORG,
            &format!("Re: [{id}]"),
            "",
            "Give me the details\r\n",
        );
        assert_eq!(
            ingestor.ingest(&stranger, None).await.unwrap(),
            Outcome::Held(id.clone()),
            "{backend}"
        );
        let after = store.outbox_for_report(&id).await.unwrap();
        let new: Vec<_> = after.iter().filter(|m| !before.contains(m)).collect();
        assert_eq!(new.len(), 1, "{backend}: only the team is told");
        assert_eq!(new[0].to[0].as_str(), KAFKA);

        // An auto-reply on the thread is kept for the team and answers nobody.
        let auto = mail(
            ANN,
            ORG,
            &format!("Out of office [{id}]"),
            "Auto-Submitted: auto-replied\r\n",
            "Away\r\n",
        );
        assert_eq!(
            ingestor.ingest(&auto, None).await.unwrap(),
            Outcome::Held(id.clone())
        );
        assert_eq!(
            store.outbox_for_report(&id).await.unwrap().len(),
            after.len(),
            "{backend}: never answered"
        );

        let messages = store.messages(&id).await.unwrap();
        let kinds: Vec<_> = messages.iter().map(|m| m.kind).collect();
        assert!(kinds.contains(&MessageKind::Reporter));
        assert!(kinds.contains(&MessageKind::Team));
        let held: Vec<_> = messages
            .iter()
            .filter(|m| m.kind == MessageKind::Note)
            .collect();
        assert_eq!(held.len(), 2, "{backend}");
        assert!(held.iter().all(|m| !m.kind.visible_to_reporter()));
        assert!(held[0].body.contains("Give me the details"));

        // A bounce with no thread makes no report and no mail: it is held for the
        // organisation team (see `lists`).
        let bounce = mail(
            "MAILER-DAEMON@mx.example",
            ORG,
            "Undelivered Mail",
            "",
            "bounce",
        );
        assert!(
            matches!(
                ingestor.ingest(&bounce, None).await.unwrap(),
                Outcome::HeldForReview(_)
            ),
            "{backend}"
        );
        let null_sender = Envelope {
            mail_from: String::new(),
            recipients: vec![ORG.into()],
        };
        assert!(matches!(
            ingestor
                .ingest(&mail(ANN, ORG, "x", "", "y"), Some(&null_sender))
                .await
                .unwrap(),
            Outcome::HeldForReview(_)
        ));
    }
}

#[tokio::test]
async fn attachment_only_reports_are_kept_and_answered() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        let raw = mail(
            ANN,
            KAFKA,
            "Vulnerability report",
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n",
            "--b1\r\nContent-Type: text/plain\r\n\r\nPlease see the attached PDF.\r\n--b1\r\n\
             Content-Type: application/pdf; name=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n\
             --b1\r\nContent-Type: image/png; name=\"big.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                .to_string()
                .as_str(),
        );
        let mut raw = raw;
        // An image above the attachment limit (1 KiB here): only its digest is kept.
        let big = "QUFB".repeat(400);
        raw.extend_from_slice(format!("{big}\r\n--b1--\r\n").as_bytes());
        let id = new_id(ingestor.ingest(&raw, None).await.unwrap());
        let outbox = store.outbox_for_report(&id).await.unwrap();
        assert!(
            outbox
                .iter()
                .any(|m| m.to[0].as_str() == ANN && m.subject.contains("plain text")),
            "{backend}: the reporter is asked to resubmit as plain text"
        );
        let report = store.report(&id).await.unwrap().unwrap();
        assert!(
            report
                .description
                .contains("report.pdf (application/pdf, 9 bytes)"),
            "{}",
            report.description
        );
        let attachments = store.attachments(&id).await.unwrap();
        assert_eq!(attachments.len(), 2, "{backend}");
        assert_eq!(attachments[0].name, "report.pdf");
        assert!(attachments[0].stored);
        assert!(!attachments[1].stored, "{backend}: above the limit");
        assert_eq!(attachments[1].size, 1200);
        let (info, content) = store
            .attachment(&id, attachments[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(content.unwrap(), b"%PDF-1.4\n");
        assert_eq!(info.sha256.len(), 64);
        // The original is kept as received.
        let incoming = store.incoming_for_report(&id).await.unwrap();
        assert_eq!(
            store
                .original_message(&id, incoming[0].id)
                .await
                .unwrap()
                .unwrap(),
            raw
        );

        // HTML-only: converted for reading, and the reporter is asked for plain text.
        let html = mail(
            ANN,
            KAFKA,
            "HTML",
            "Content-Type: text/html; charset=utf-8\r\n",
            "<p>The <b>bug</b> is in the parser.</p>",
        );
        let id = new_id(ingestor.ingest(&html, None).await.unwrap());
        let report = store.report(&id).await.unwrap().unwrap();
        assert!(
            report.description.contains("The bug is in the parser."),
            "{}",
            report.description
        );
        assert!(
            store
                .outbox_for_report(&id)
                .await
                .unwrap()
                .iter()
                .any(|m| m.subject.contains("plain text"))
        );
    }
}

#[tokio::test]
async fn bad_mail_is_refused_and_nothing_changes() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        let huge = mail(ANN, KAFKA, "big", "", &"x".repeat(70 * 1024));
        let err = ingestor.ingest(&huge, None).await.unwrap_err();
        assert!(matches!(err, MailError::TooLarge { .. }), "{backend}");
        assert_eq!(err.exit_code(), 65);
        let err = ingestor.ingest(b"\r\n\r\n", None).await.unwrap_err();
        assert_eq!(err.exit_code(), 65);
        assert!(
            store
                .list_reports(&Default::default())
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn the_real_announcements_ingest_and_read_back() {
    let Some(corpus) = embargo_testkit::corpus_or_skip("corpus tests") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(corpus.join("announcements"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        let mut seen = Vec::new();
        let mut parsed_all = Vec::new();
        for file in &files {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            let mut raw = std::fs::read(file).unwrap();
            if !name.starts_with("oss-security-") {
                // The website copies are bodies without headers (corpus README): give
                // them the headers a reporter's mail client would.
                let mut with_headers =
                    format!("From: {ANN}\r\nTo: {KAFKA}\r\nSubject: Apache {name}\r\n\r\n")
                        .into_bytes();
                with_headers.extend_from_slice(&raw);
                raw = with_headers;
            }
            let outcome = ingestor
                .ingest(&raw, None)
                .await
                .unwrap_or_else(|e| panic!("{backend} {}: {e}", file.display()));
            // Every one is readable as parsed, whatever became of it.
            let parsed = embargo_mail::parse::parse(&raw).unwrap();
            assert!(
                !parsed.subject.contains("=?") && parsed.subject.contains("CVE-")
                    || parsed.subject.contains("Apache"),
                "{name}: {}",
                parsed.subject
            );
            assert!(
                !parsed.text.contains('\u{FFFD}') && parsed.text.len() > 100,
                "{name}"
            );
            parsed_all.push((name.clone(), parsed));
            let Outcome::NewReport(id) = outcome else {
                panic!("{}: {outcome:?}", file.display());
            };
            // List traffic as delivered (Precedence: bulk) is a report like any other,
            // but no machine answers it (RFC 3834); taking it again is a duplicate.
            if parsed_all.last().unwrap().1.no_auto_answer.is_some() {
                let outbox = store.outbox_for_report(&id).await.unwrap();
                assert!(
                    outbox
                        .iter()
                        .all(|m| !m.subject.contains("Report received")),
                    "{backend} {name}: list traffic is not answered: {outbox:?}"
                );
                assert_eq!(
                    ingestor.ingest(&raw, None).await.unwrap(),
                    Outcome::Duplicate,
                    "{name}"
                );
            }
            let report = store.report(&id).await.unwrap().unwrap();
            eprintln!(
                "{backend} {name}: {:?} from {:?} <{:?}>",
                report.title, report.reporter.name, report.reporter.email
            );
            seen.push((name.clone(), report.clone()));
            assert!(
                !report.title.is_empty() && report.title != "(no subject)",
                "{}",
                file.display()
            );
            assert!(
                report.title.contains("CVE-") || report.title.contains("Apache"),
                "{}: {}",
                file.display(),
                report.title
            );
            assert!(report.description.len() > 100, "{}", file.display());
            assert!(
                !report.description.contains('\u{FFFD}'),
                "{}: undecoded text",
                file.display()
            );
            assert!(
                !report.title.contains("=?"),
                "{}: undecoded subject {}",
                file.display(),
                report.title
            );
        }
        assert_eq!(
            seen.len(),
            files.len(),
            "{backend}: every announcement made a report"
        );
        let find = |part: &str| &seen.iter().find(|(n, _)| n.contains(part)).unwrap().1;
        // CJK in the Credit section, a non-ASCII sender name, a folded subject.
        assert!(
            find("ofbiz")
                .description
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{backend}: CJK"
        );
        assert!(
            find("cocoon")
                .reporter
                .name
                .as_deref()
                .is_some_and(|n| !n.is_ascii()),
            "{backend}: {:?}",
            find("cocoon").reporter.name
        );
        let folded = &parsed_all
            .iter()
            .find(|(n, _)| n.contains("2018-1305"))
            .unwrap()
            .1;
        assert!(
            folded.subject.contains("CVE-2018-1305") && !folded.subject.contains('\n'),
            "{backend}: {}",
            folded.subject
        );
    }
}

/// The Message-ID a test mail was given.
fn message_id_of(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let start = text.find("Message-ID: <").unwrap() + "Message-ID: <".len();
    text[start..].split('>').next().unwrap().to_string()
}

#[tokio::test]
async fn replies_to_the_reporter_thread_on_their_last_mail_without_quotes() {
    for (backend, store, _db) in fresh_store().await {
        let ingestor = setup(&store).await;
        let first = mail(ANN, KAFKA, "Bug", "", "the bug");
        let id = new_id(ingestor.ingest(&first, None).await.unwrap());
        assert_eq!(
            store.reporter_last_message(&id).await.unwrap(),
            Some(message_id_of(&first)),
            "{backend}: the report itself"
        );
        let reply = mail(ANN, ORG, &format!("Re: [{id}]"), "", "More.\r\n");
        ingestor.ingest(&reply, None).await.unwrap();
        assert_eq!(
            store.reporter_last_message(&id).await.unwrap(),
            Some(message_id_of(&reply)),
            "{backend}: the latest reply"
        );
        // A stranger's mail is not the reporter's.
        let stranger = mail(
            "eve@elsewhere.example",
            ORG,
            &format!("Re: [{id}]"),
            "",
            "x",
        );
        ingestor.ingest(&stranger, None).await.unwrap();
        assert_eq!(
            store.reporter_last_message(&id).await.unwrap(),
            Some(message_id_of(&reply)),
            "{backend}"
        );

        // A team member's reply by mail to a mail the reporter got is relayed without
        // the text it quotes.
        let receipt_id = last_sent_to(&store, &id, ANN).await;
        let team = mail(
            ALICE,
            ORG,
            &format!("Re: [{id}] Report received"),
            &format!("In-Reply-To: {receipt_id}\r\n"),
            "Fixed in 1.2.\r\n\r\nOn Mon, 1 Jun 2026 at 10:00, Ann <ann@researcher.example> wrote:\r\n> More.\r\n> internal: do not relay\r\n",
        );
        assert_eq!(
            ingestor.ingest(&team, None).await.unwrap(),
            Outcome::TeamReply(id.clone()),
            "{backend}"
        );
        let messages = store.messages(&id).await.unwrap();
        let relayed = messages
            .iter()
            .find(|m| m.kind == MessageKind::Team)
            .expect("team reply");
        assert_eq!(relayed.body, "Fixed in 1.2.", "{backend}");
    }
}
