//! The announcement and the relayed replies as the outbox worker hands them to a relay,
//! on every backend, read back from the bytes the relay got: each destination of the
//! project's `announce_to` gets a copy of its own, from the project's address and not
//! marked `Auto-Submitted`; a relayed reply is not marked either; notices are; an
//! organisation name with a comma is one quoted display name (docs/mail.md).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use embargo_app::{App, Ports, Settings};
use embargo_domain::access::Actor;
use embargo_domain::announce::Destination;
use embargo_domain::ids::{CveId, Email, ProjectSlug};
use embargo_domain::intake::Submission;
use embargo_domain::lifecycle::Command;
use embargo_domain::policy::{Policy, PolicyOverrides};
use embargo_domain::record::CnaRecord;
use embargo_domain::report::{Channel, Report};
use embargo_formats::cve5::Cna;
use embargo_mail::outbound::{self, Address, OutboundConfig};
use embargo_store::test_support::fresh_store;
use embargo_store::{
    Announcements, Cves, Delivery, NewUser, Organisation, Organisations, ProjectInput, Projects,
    SqlStore, Store, Users,
};
use mail_parser::MessageParser;

use crate::bounds::{ANN, KAFKA, ORG};
use crate::outbound::relay;

const ALICE: &str = "alice@example.org";
const CNA: &str = "cna@example.org";
const USERS: &str = "users@kafka.example.org";
const OSS: &str = "oss-security@lists.openwall.com";
const CVE: &str = "CVE-2026-10000";

/// An organisation whose name has a comma, the project `kafka` announcing to its users
/// list, its security list, the reporter and oss-security, and the application on it.
async fn setup(store: &SqlStore) -> App {
    let organisation = Organisation {
        name: "Example, Inc.".into(),
        security_email: Email::parse(ORG).unwrap(),
    };
    store.init_organisation(&organisation).await.unwrap();
    store
        .create_user(&NewUser {
            email: Email::parse(CNA).unwrap(),
            name: "CNA".into(),
            org_team: true,
            password_hash: None,
        })
        .await
        .unwrap();
    let announce_to = ["users_list", "security_list", "reporter", OSS]
        .iter()
        .map(|d| Destination::parse(d).unwrap())
        .collect();
    store
        .upsert_project(&ProjectInput {
            slug: ProjectSlug::parse("kafka").unwrap(),
            name: "Apache Kafka".into(),
            security_email: Some(Email::parse(KAFKA).unwrap()),
            users_list: Some(Email::parse(USERS).unwrap()),
            security_model_url: None,
            team: vec![Email::parse(ALICE).unwrap()],
            policy: PolicyOverrides {
                announce_to: Some(announce_to),
                ..Default::default()
            },
            trusted: false,
        })
        .await
        .unwrap();
    store
        .add_to_pool(&[CveId::parse(CVE).unwrap()])
        .await
        .unwrap();
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
    let store: Arc<dyn Store> = Arc::new(store.clone());
    App::new(store, settings, Ports::default())
}

/// A complete record, in the JSON shape a stored report keeps it.
fn record() -> CnaRecord {
    serde_json::from_str(
        r#"{"title": "Apache Kafka: RCE in Connect",
            "description": "Deserialization of untrusted data in Apache Kafka Connect lets an attacker run code.",
            "product": "Apache Kafka",
            "affected": [{"introduced": "3.0.0", "fixed": "3.7.1"}],
            "severity": "important",
            "cwe": "CWE-502",
            "credits": [{"name": "Ann", "type": "finder"}]}"#,
    )
    .unwrap()
}

/// A member by address, as the sign-in finds them.
async fn member(app: &App, address: &str) -> Actor {
    Actor::Member(app.member_by_email(address).await.unwrap().unwrap())
}

/// The report, fixed and ready to announce, agreed to be disclosed in five days.
async fn fixed(app: &App) -> Report {
    let (mut report, _) = app
        .submit(
            &Submission {
                project: Some("kafka".into()),
                title: "RCE in Connect".into(),
                description: "Steps to reproduce: ...".into(),
                reporter_email: Some(ANN.into()),
                ..Default::default()
            },
            Channel::Api,
        )
        .await
        .unwrap();
    let (alice, cna) = (member(app, ALICE).await, member(app, CNA).await);
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let in_five_days = today + jiff::ToSpan::days(5);
    for (command, actor) in [
        (Command::Acknowledge { message: None }, &alice),
        (
            Command::Reply {
                body: "Thanks, we can reproduce it.".into(),
            },
            &alice,
        ),
        (
            Command::Accept {
                disclosure_date: in_five_days,
                message: None,
                confirm_late: false,
            },
            &alice,
        ),
        (
            Command::RequestCve {
                summary: "RCE in Kafka Connect".into(),
            },
            &alice,
        ),
        (
            Command::AssignCve {
                cve: CveId::parse(CVE).unwrap(),
            },
            &cna,
        ),
        (Command::SaveRecord { record: record() }, &alice),
        (
            Command::SendDraft {
                message: None,
                problems: vec![],
            },
            &alice,
        ),
        (
            Command::RecordFix {
                fix_ref: "abc123".into(),
                release_ref: "3.7.1".into(),
            },
            &alice,
        ),
    ] {
        let what = format!("{command:?}");
        report = app
            .act(actor, &report, command)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    report
}

/// A header's value as the relay got it, or `None`.
fn header(raw: &str, name: &str) -> Option<String> {
    let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
    msg.header_raw(name).map(|v| v.trim().to_string())
}

/// The From's display name and address, read back by a MIME parser.
fn from(raw: &str) -> (String, String) {
    let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
    let a = msg.from().and_then(|a| a.first()).unwrap();
    (
        a.name().unwrap_or_default().to_string(),
        a.address().unwrap_or_default().to_string(),
    )
}

fn subject(raw: &str) -> String {
    let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
    msg.subject().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_announcement_reaches_each_destination_as_the_projects_own_mail() {
    for (backend, store, _db) in fresh_store().await {
        let app = setup(&store).await;
        let report = fixed(&app).await;
        let alice = member(&app, ALICE).await;

        // Before the agreed date, the announcement asks for a confirmation first, and
        // nothing goes out without it.
        let refused = app
            .act(
                &alice,
                &report,
                Command::Announce {
                    confirm_early: false,
                },
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(refused.contains("confirm_early"), "{backend}: {refused}");
        assert!(
            store
                .announcement_copies(&report.id)
                .await
                .unwrap()
                .is_empty()
        );
        app.act(
            &alice,
            &report,
            Command::Announce {
                confirm_early: true,
            },
        )
        .await
        .unwrap();
        let audit = app.audit_log(&report).await.unwrap();
        let last = &audit.last().unwrap().detail;
        assert!(
            last.contains("before the agreed disclosure date") && last.contains("(confirmed)"),
            "{backend}: {last}"
        );

        // The worker delivers everything queued, to a relay on a real socket.
        let (port, taken) = relay(&[]).await;
        let mut config = OutboundConfig::new(
            "127.0.0.1".into(),
            port,
            Address::new(Some("Example, Inc. Security".into()), ORG.parse().unwrap()),
        );
        config.smtp_timeout = Duration::from_secs(10);
        let transport = outbound::transport(&config);
        while outbound::deliver_due(&app, &transport, &config, "worker")
            .await
            .unwrap()
            > 0
        {}
        let taken = taken.lock().unwrap().clone();

        // One copy for each destination, each to its address alone, in order.
        let copies: Vec<_> = taken
            .iter()
            .filter(|(_, raw, _)| subject(raw).starts_with(&format!("{CVE}: ")))
            .collect();
        let rcpts: Vec<&str> = copies.iter().map(|(r, _, _)| r[0].as_str()).collect();
        assert_eq!(rcpts, [USERS, KAFKA, ANN, OSS], "{backend}");
        for (to, raw, envelope_from) in &copies {
            assert_eq!(to.len(), 1, "{backend}: {to:?}");
            assert_eq!(
                from(raw),
                ("Apache Kafka Security".to_string(), KAFKA.to_string()),
                "{backend}"
            );
            assert_eq!(header(raw, "Auto-Submitted"), None, "{backend}: {raw}");
            assert!(!raw.contains(ANN) || to[0] == ANN, "{backend}: {raw}");
            // Bounces still come back to Embargo.
            assert_eq!(envelope_from, ORG, "{backend}");
        }

        // A notice is automatic and from the organisation, whose name keeps its comma.
        let ack = taken
            .iter()
            .find(|(_, raw, _)| subject(raw).contains("Acknowledged"))
            .unwrap();
        assert_eq!(
            header(&ack.1, "Auto-Submitted").as_deref(),
            Some("auto-generated"),
            "{backend}"
        );
        assert_eq!(
            from(&ack.1),
            ("Example, Inc. Security".to_string(), ORG.to_string()),
            "{backend}: {}",
            ack.1
        );
        // The team's reply, relayed to the reporter, is a person's mail.
        let reply = taken
            .iter()
            .find(|(_, raw, _)| subject(raw).contains("Message from the security team"))
            .unwrap();
        assert_eq!(
            reply.0[0], ANN,
            "{backend}: to the reporter, the team copied"
        );
        assert_eq!(header(&reply.1, "Auto-Submitted"), None, "{backend}");

        // The report records each copy as sent, with its destination and when.
        let recorded = store.announcement_copies(&report.id).await.unwrap();
        let recorded: Vec<(String, &str, Delivery, bool)> = recorded
            .iter()
            .map(|c| {
                (
                    c.destination.to_string(),
                    c.address.as_str(),
                    c.delivery,
                    c.sent_at.is_some(),
                )
            })
            .collect();
        assert_eq!(
            recorded,
            [
                ("users_list".into(), USERS, Delivery::Sent, true),
                ("security_list".into(), KAFKA, Delivery::Sent, true),
                ("reporter".into(), ANN, Delivery::Sent, true),
                (OSS.into(), OSS, Delivery::Sent, true),
            ],
            "{backend}"
        );
    }
}
