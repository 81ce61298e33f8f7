//! The store's story, told once and run against every backend from `test_support`:
//! SQLite always, PostgreSQL when `EMBARGO_TEST_POSTGRES` names a server.
#![allow(clippy::unwrap_used)]

use embargo_domain::access::{Actor, Member};
use embargo_domain::ids::{CveId, Email, ProjectSlug, ReportId, UserId};
use embargo_domain::intake::Submission;
use embargo_domain::lifecycle::{
    Change, Command, Contacts, MergeAcross, decide, merge, receive, split,
};
use embargo_domain::policy::{Policy, PolicyOverrides};
use embargo_domain::record::{
    AffectedProduct, CnaRecord, Credit, CreditKind, Severity, VersionRange,
};
use embargo_domain::report::{Channel, MessageKind, ProjectRef, Report};
use embargo_domain::state::ReportState;
use embargo_domain::token::Token;
use embargo_store::test_support::{TestBackend, fresh_database_url, fresh_store};
use embargo_store::*;
use jiff::{SignedDuration, Timestamp};
use sqlx::Row;

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn t0() -> Timestamp {
    "2026-11-19T10:00:00Z".parse().unwrap()
}

/// An organisation, its CNA member, a project with a two-person team, a CVE pool.
struct World {
    store: SqlStore,
    org: Actor,
    team: Actor,
    project: ProjectRef,
    policy: Policy,
    contacts: Contacts,
}

async fn world(store: SqlStore) -> World {
    store
        .init_organisation(&Organisation {
            name: "Example Foundation".into(),
            security_email: email("security@example.org"),
        })
        .await
        .unwrap();
    let cna = store
        .create_user(&NewUser {
            email: email("cna@example.org"),
            name: "Cee".into(),
            org_team: true,
            password_hash: None,
        })
        .await
        .unwrap();
    let outcome = store
        .upsert_project(&ProjectInput {
            slug: ProjectSlug::parse("kafka").unwrap(),
            name: "Apache Kafka".into(),
            security_email: Some(email("security@kafka.example.org")),
            users_list: None,
            security_model_url: None,
            team: vec![email("alice@example.org"), email("bob@example.org")],
            policy: PolicyOverrides::default(),
            trusted: false,
        })
        .await
        .unwrap();
    let UpsertOutcome::Created(project_id) = outcome else {
        panic!("{outcome:?}")
    };
    let project = store
        .project_by_id(project_id)
        .await
        .unwrap()
        .unwrap()
        .as_ref();
    let alice = store
        .user_by_email(&email("alice@example.org"))
        .await
        .unwrap()
        .unwrap();
    store
        .add_to_pool(&CveId::parse_range("CVE-2026-10000..CVE-2026-10002").unwrap())
        .await
        .unwrap();
    World {
        store,
        org: Actor::Member(Member {
            id: cna,
            email: email("cna@example.org"),
            name: "Cee".into(),
            org_team: true,
            projects: vec![],
        }),
        team: Actor::Member(Member {
            id: alice.id,
            email: alice.email,
            name: "Alice".into(),
            org_team: false,
            projects: alice.projects,
        }),
        project,
        policy: Policy::default(),
        contacts: Contacts {
            org_name: "Example Foundation".into(),
            org_security: email("security@example.org"),
            team: email("security@kafka.example.org"),
            users_list: None,
            status_url: Some("https://embargo.example.org/status/x".into()),
            base_url: None,
            owner: None,
        },
    }
}

impl World {
    fn received(&self, title: &str, project: Option<ProjectRef>, now: Timestamp) -> Change {
        let new = Submission {
            project: project.as_ref().map(|p| p.slug.to_string()),
            title: title.into(),
            description: format!("{title}: steps to reproduce"),
            reporter_email: Some("ann@example.net".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        receive(
            new,
            ReportId::generate(),
            project,
            Channel::Web,
            now,
            &self.policy,
            &self.contacts,
        )
        .unwrap()
    }

    async fn submit(&self, title: &str, project: Option<ProjectRef>, now: Timestamp) -> Report {
        let change = self.received(title, project, now);
        self.store
            .create_report(&change, &Token::generate().digest())
            .await
            .unwrap()
    }

    fn decide(&self, report: &Report, command: Command, actor: &Actor) -> Change {
        decide(
            report,
            command.clone(),
            actor,
            t0(),
            &self.policy,
            &self.contacts,
        )
        .unwrap_or_else(|e| panic!("{command:?}: {e}"))
    }

    async fn step(&self, report: &Report, command: Command, actor: &Actor) -> Report {
        self.store
            .apply(&self.decide(report, command, actor))
            .await
            .unwrap()
    }

    async fn counts(&self, id: &ReportId) -> (usize, usize, usize) {
        (
            self.store.messages(id).await.unwrap().len(),
            self.store.audit_log(id).await.unwrap().len(),
            self.store.outbox_for_report(id).await.unwrap().len(),
        )
    }
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

fn accept() -> Command {
    Command::Accept {
        disclosure_date: "2026-12-15".parse().unwrap(),
        message: None,
        confirm_late: false,
    }
}

fn all(projects: Option<Vec<embargo_domain::ids::ProjectId>>) -> ReportFilter {
    ReportFilter {
        projects,
        limit: 50,
        ..ReportFilter::default()
    }
}

#[tokio::test]
async fn dollar_placeholders_bind_by_number() {
    for (backend, store, _db) in fresh_store().await {
        let row = sqlx::query("SELECT $2 || '-' || $1 || '-' || $2 AS s, $3 + 1 AS n")
            .bind("a")
            .bind("b")
            .bind(41_i64)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(row.get::<String, _>("s"), "b-a-b", "{backend}");
        assert_eq!(row.get::<i64, _>("n"), 42, "{backend}");
        assert_eq!(store.backend(), backend);
    }
}

#[tokio::test]
async fn organisation_users_and_credentials() {
    for (backend, store, _db) in fresh_store().await {
        assert_eq!(store.organisation().await.unwrap(), None, "{backend}");
        let org = Organisation {
            name: "Example".into(),
            security_email: email("security@example.org"),
        };
        store.init_organisation(&org).await.unwrap();
        assert_eq!(store.organisation().await.unwrap(), Some(org.clone()));
        assert!(
            matches!(
                store.init_organisation(&org).await,
                Err(StoreError::Duplicate(_))
            ),
            "{backend}"
        );

        let new = NewUser {
            email: email("a@example.org"),
            name: "A".into(),
            org_team: true,
            password_hash: None,
        };
        let id = store.create_user(&new).await.unwrap();
        let err = store.create_user(&new).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Duplicate(ref m) if m.contains("a@example.org")),
            "{backend}: {err}"
        );
        assert_eq!(
            err.to_string(),
            "a user with the address a@example.org already exists",
            "{backend}"
        );
        let user = store.user_by_email(&new.email).await.unwrap().unwrap();
        assert_eq!(
            (user.id, user.org_team, user.password_hash.clone()),
            (id, true, None)
        );
        store.set_password(id, "$argon2id$v=19$...").await.unwrap();
        assert!(
            matches!(
                store.set_password(UserId(id.0 + 1000), "$argon2id$").await,
                Err(StoreError::NotFound(_))
            ),
            "{backend}: no such user"
        );
        assert_eq!(
            store
                .user_by_id(id)
                .await
                .unwrap()
                .unwrap()
                .password_hash
                .as_deref(),
            Some("$argon2id$v=19$...")
        );
        assert_eq!(store.count_users().await.unwrap(), 1);
        assert_eq!(
            store
                .user_by_email(&email("nobody@example.org"))
                .await
                .unwrap(),
            None
        );

        let token = Token::generate();
        let expires = t0() + SignedDuration::from_hours(1);
        store
            .insert_credential(&NewCredential {
                digest: token.digest(),
                user: id,
                kind: CredentialKind::Session,
                csrf: Some("csrf".into()),
                expires_at: Some(expires),
                label: None,
            })
            .await
            .unwrap();
        let c = store
            .credential(&token.digest(), CredentialKind::Session, t0())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.user, c.csrf.as_deref(), c.expires_at),
            (id, Some("csrf"), Some(expires))
        );
        assert!(
            store
                .credential(&token.digest(), CredentialKind::ApiToken, t0())
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .credential(&token.digest(), CredentialKind::Session, expires)
                .await
                .unwrap()
                .is_none(),
            "expired"
        );
        let api = Token::generate();
        store
            .insert_credential(&NewCredential {
                digest: api.digest(),
                user: id,
                kind: CredentialKind::ApiToken,
                csrf: None,
                expires_at: None,
                label: Some("ci".into()),
            })
            .await
            .unwrap();
        let far = t0() + SignedDuration::from_hours(24 * 365 * 50);
        assert!(
            store
                .credential(&api.digest(), CredentialKind::ApiToken, far)
                .await
                .unwrap()
                .is_some(),
            "never expires"
        );
        store.delete_credential(&token.digest()).await.unwrap();
        assert!(
            store
                .credential(&token.digest(), CredentialKind::Session, t0())
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn projects_upsert_idempotently() {
    for (backend, store, _db) in fresh_store().await {
        let existing = store
            .create_user(&NewUser {
                email: email("alice@example.org"),
                name: "Alice".into(),
                org_team: false,
                password_hash: None,
            })
            .await
            .unwrap();
        let mut input = ProjectInput {
            slug: ProjectSlug::parse("kafka").unwrap(),
            name: "Apache Kafka".into(),
            security_email: Some(email("security@kafka.example.org")),
            users_list: Some(email("users@kafka.example.org")),
            security_model_url: Some("https://kafka.example.org/security".into()),
            team: vec![email("alice@example.org"), email("bob@example.org")],
            policy: PolicyOverrides {
                acknowledge_working_days: Some(5),
                ..Default::default()
            },
            trusted: false,
        };
        let UpsertOutcome::Created(id) = store.upsert_project(&input).await.unwrap() else {
            panic!("{backend}")
        };
        assert_eq!(
            store.upsert_project(&input).await.unwrap(),
            UpsertOutcome::Unchanged(id),
            "{backend}"
        );
        let p = store.project_by_slug(&input.slug).await.unwrap().unwrap();
        assert_eq!(
            p.team,
            vec![email("alice@example.org"), email("bob@example.org")]
        );
        assert_eq!(p.policy.acknowledge_working_days, Some(5));
        assert_eq!(p.users_list, input.users_list);
        let bob = store
            .user_by_email(&email("bob@example.org"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                bob.name.as_str(),
                bob.org_team,
                bob.password_hash.as_deref()
            ),
            ("bob@example.org", false, None)
        );
        assert_eq!(bob.projects, vec![id]);
        assert_eq!(
            store.user_by_id(existing).await.unwrap().unwrap().name,
            "Alice",
            "existing users are kept"
        );

        input.team = vec![email("bob@example.org"), email("carol@example.org")];
        assert_eq!(
            store.upsert_project(&input).await.unwrap(),
            UpsertOutcome::Updated(id)
        );
        assert_eq!(
            store.project_by_id(id).await.unwrap().unwrap().team,
            input.team
        );
        assert!(
            store
                .user_by_id(existing)
                .await
                .unwrap()
                .unwrap()
                .projects
                .is_empty()
        );
        input.policy = PolicyOverrides::default();
        assert_eq!(
            store.upsert_project(&input).await.unwrap(),
            UpsertOutcome::Updated(id)
        );
        assert_eq!(
            store.upsert_project(&input).await.unwrap(),
            UpsertOutcome::Unchanged(id)
        );
        // Trust (delegated CVE assignment) is part of the project and round-trips.
        input.trusted = true;
        assert_eq!(
            store.upsert_project(&input).await.unwrap(),
            UpsertOutcome::Updated(id)
        );
        let p = store.project_by_id(id).await.unwrap().unwrap();
        assert!(p.trusted && p.as_ref().trusted, "{backend}");
        input.trusted = false;
        assert_eq!(
            store.upsert_project(&input).await.unwrap(),
            UpsertOutcome::Updated(id)
        );
        assert!(!store.project_by_id(id).await.unwrap().unwrap().trusted);

        let other = ProjectInput {
            slug: ProjectSlug::parse("dapr").unwrap(),
            name: "Dapr".into(),
            team: vec![],
            ..input.clone()
        };
        assert!(matches!(
            store.upsert_project(&other).await.unwrap(),
            UpsertOutcome::Created(_)
        ));
        let slugs: Vec<String> = store
            .list_projects()
            .await
            .unwrap()
            .iter()
            .map(|p| p.slug.to_string())
            .collect();
        assert_eq!(slugs, ["dapr", "kafka"]);
        assert_eq!(store.list_projects().await.unwrap()[1].team.len(), 2);
    }
}

#[tokio::test]
async fn the_cve_pool() {
    for (backend, store, _db) in fresh_store().await {
        assert_eq!(store.next_free_cve().await.unwrap(), None);
        let ids = CveId::parse_range("CVE-2026-9998..CVE-2026-10999").unwrap();
        assert_eq!(store.add_to_pool(&ids).await.unwrap(), 1002, "{backend}");
        assert_eq!(
            store.add_to_pool(&ids[..10]).await.unwrap(),
            0,
            "already there"
        );
        // Numeric order, not text order: 9998 comes before 10000.
        assert_eq!(
            store.next_free_cve().await.unwrap(),
            Some(CveId::parse("CVE-2026-9998").unwrap())
        );
        assert_eq!(
            store.pool_stats().await.unwrap(),
            PoolStats {
                free: 1002,
                assigned: 0
            }
        );
    }
}

#[tokio::test]
async fn a_report_from_receipt_to_announcement() {
    for (backend, store, _db) in fresh_store().await {
        let w = world(store).await;
        let store = &w.store;
        let r = w
            .submit("RCE in Connect", Some(w.project.clone()), t0())
            .await;
        assert_eq!(
            (r.version, r.state),
            (1, ReportState::Received),
            "{backend}"
        );
        let unrouted = w
            .submit(
                "Something somewhere",
                None,
                t0() + SignedDuration::from_hours(1),
            )
            .await;
        assert_eq!(store.report(&r.id).await.unwrap().unwrap(), r);

        let ack = w
            .step(&r, Command::Acknowledge { message: None }, &w.team)
            .await;
        assert_eq!((ack.version, ack.state), (2, ReportState::Acknowledged));
        let accepted = w.step(&ack, accept(), &w.team).await;
        let requested = w
            .step(
                &accepted,
                Command::RequestCve {
                    summary: "RCE in Kafka Connect".into(),
                },
                &w.team,
            )
            .await;
        let cve = store.next_free_cve().await.unwrap().unwrap();
        assert_eq!(cve.to_string(), "CVE-2026-10000");

        // The dashboard while it is in flight.
        let rows = store.list_reports(&all(None)).await.unwrap();
        assert_eq!(rows.len(), 2);
        let ours = rows.iter().find(|s| s.id == r.id).unwrap();
        assert_eq!(
            (ours.title.as_str(), ours.state),
            ("RCE in Connect", ReportState::CveRequested)
        );
        assert_eq!(ours.project.as_ref(), Some(&w.project));
        assert_eq!(ours.next_due, requested.next_due());
        let theirs = rows.iter().find(|s| s.id == unrouted.id).unwrap();
        assert_eq!(theirs.project, None);
        let project_only = store
            .list_reports(&all(Some(vec![w.project.id])))
            .await
            .unwrap();
        assert_eq!(
            project_only.iter().map(|s| &s.id).collect::<Vec<_>>(),
            [&r.id]
        );
        assert!(
            store
                .list_reports(&all(Some(vec![])))
                .await
                .unwrap()
                .is_empty()
        );
        let by_state = ReportFilter {
            state: Some(ReportState::Received),
            ..all(None)
        };
        assert_eq!(
            store
                .list_reports(&by_state)
                .await
                .unwrap()
                .iter()
                .map(|s| &s.id)
                .collect::<Vec<_>>(),
            [&unrouted.id]
        );

        let assigned = w
            .step(&requested, Command::AssignCve { cve: cve.clone() }, &w.org)
            .await;
        assert_eq!(assigned.cve.as_ref(), Some(&cve));
        assert_eq!(
            store.pool_stats().await.unwrap(),
            PoolStats {
                free: 2,
                assigned: 1
            }
        );
        assert_eq!(
            store.next_free_cve().await.unwrap().unwrap().to_string(),
            "CVE-2026-10001"
        );
        let recorded = w
            .step(&assigned, Command::SaveRecord { record: record() }, &w.team)
            .await;
        let drafted = w
            .step(
                &recorded,
                Command::SendDraft {
                    message: None,
                    problems: vec![],
                },
                &w.team,
            )
            .await;
        let fixed = w
            .step(
                &drafted,
                Command::RecordFix {
                    fix_ref: "abc123".into(),
                    release_ref: "3.7.1".into(),
                },
                &w.team,
            )
            .await;
        assert!(
            store.advisories(None).await.unwrap().is_empty(),
            "nothing public before the announcement"
        );
        let announced = w
            .step(
                &fixed,
                Command::Announce {
                    confirm_early: true,
                },
                &w.team,
            )
            .await;
        assert_eq!(
            (announced.state, announced.version),
            (ReportState::Announced, 9)
        );
        assert_eq!(store.report(&r.id).await.unwrap().unwrap(), announced);
        assert_eq!(
            store.report(&r.id).await.unwrap().unwrap().cna_record,
            Some(record())
        );

        // The thread, in order.
        let kinds: Vec<MessageKind> = store
            .messages(&r.id)
            .await
            .unwrap()
            .iter()
            .map(|m| m.kind)
            .collect();
        use MessageKind::{System, Team};
        assert_eq!(kinds, [System, Team, Team, Team, Team, System], "{backend}");
        let messages = store.messages(&r.id).await.unwrap();
        assert!(
            messages[4]
                .body
                .contains("Subject: CVE-2026-10000: Apache Kafka: RCE in Connect")
        );
        assert!(messages.windows(2).all(|m| m[0].id < m[1].id));
        assert_eq!(messages[1].author, w.team.member().map(|m| m.id));

        // The audit log, in order.
        let audit = store.audit_log(&r.id).await.unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "received",
                "transition",
                "transition",
                "transition",
                "transition",
                "record",
                "transition",
                "transition",
                "transition"
            ]
        );
        assert_eq!(audit[1].detail, "received -> acknowledged");
        assert_eq!(audit[4].actor, "user:cna@example.org");
        assert!(audit[8].detail.contains("CVE-2026-10000 published"));

        // The outbox: every mail queued, none lost; the announcement a copy for each
        // of the policy's destinations (the defaults: team, reporter, organisation).
        let outbox = store.outbox_for_report(&r.id).await.unwrap();
        assert_eq!(outbox.len(), 11, "{backend}: {outbox:#?}");
        assert!(
            outbox
                .iter()
                .all(|m| m.state == "queued" && m.attempts == 0 && m.last_error.is_none())
        );
        assert_eq!(outbox[0].to, [email("ann@example.net")]);
        assert_eq!(
            outbox[1].subject,
            format!("[{}] New report: RCE in Connect", r.id)
        );
        assert!(
            outbox
                .last()
                .unwrap()
                .subject
                .starts_with("CVE-2026-10000: ")
        );

        // Each copy of the announcement is recorded with its destination; the copy
        // to the reporter is found again by its destination, not by a clear address.
        let copies = store.announcement_copies(&r.id).await.unwrap();
        let went: Vec<(String, &str, Delivery)> = copies
            .iter()
            .map(|c| (c.destination.to_string(), c.address.as_str(), c.delivery))
            .collect();
        assert_eq!(
            went,
            [
                (
                    "security_list".into(),
                    "security@kafka.example.org",
                    Delivery::Queued
                ),
                ("reporter".into(), "ann@example.net", Delivery::Queued),
                (
                    "organisation".into(),
                    "security@example.org",
                    Delivery::Queued
                ),
            ],
            "{backend}"
        );
        // Claimed as the human mail it is, from the project's address; once the relay
        // took a copy, it says when.
        let claimed = store
            .claim_outgoing(
                "worker",
                Timestamp::now(),
                Timestamp::now() + SignedDuration::from_mins(5),
                50,
            )
            .await
            .unwrap();
        let copy = claimed
            .iter()
            .find(|m| {
                m.subject.starts_with("CVE-2026-10000: ") && m.to == [email("ann@example.net")]
            })
            .unwrap();
        assert_eq!(
            copy.origin,
            embargo_domain::report::MailOrigin::HumanApproved
        );
        assert_eq!(
            copy.from.as_ref().map(ToString::to_string).as_deref(),
            Some("Apache Kafka Security <security@kafka.example.org>")
        );
        assert!(
            claimed
                .iter()
                .filter(|m| !m.subject.starts_with("CVE-2026-10000: "))
                .all(|m| m.origin.is_automatic() && m.from.is_none())
        );
        let sent_at = Timestamp::now();
        assert!(store.mark_sent(copy.id, "worker", sent_at).await.unwrap());
        let copies = store.announcement_copies(&r.id).await.unwrap();
        assert_eq!(copies[1].delivery, Delivery::Sent, "{backend}");
        assert_eq!(
            copies[1].sent_at.map(|t| t.as_microsecond()),
            Some(sent_at.as_microsecond())
        );
        assert!(
            store
                .announcement_copies(&ReportId::generate())
                .await
                .unwrap()
                .is_empty()
        );

        // Public now.
        let published = store.advisories(None).await.unwrap();
        assert_eq!(published.len(), 1);
        assert_eq!(published[0].project, w.project);
        assert_eq!(published[0].advisory.report, r.id);
        assert_eq!(published[0].advisory.record, record());
        assert_eq!(
            store.advisories(Some(w.project.id)).await.unwrap(),
            published
        );
        assert!(
            store
                .advisories(Some(embargo_domain::ids::ProjectId(w.project.id.0 + 1)))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store.advisory(&cve).await.unwrap().as_ref(),
            published.first()
        );
        assert_eq!(
            store
                .advisory(&CveId::parse("CVE-2026-10001").unwrap())
                .await
                .unwrap(),
            None
        );

        // Closed reports leave the default dashboard.
        let open = store.list_reports(&all(None)).await.unwrap();
        assert_eq!(
            open.iter().map(|s| &s.id).collect::<Vec<_>>(),
            [&unrouted.id]
        );
        let everything = store
            .list_reports(&ReportFilter {
                include_closed: true,
                triage: None,
                owner: None,
                after: None,
                due_before: None,
                ..all(None)
            })
            .await
            .unwrap();
        assert_eq!(everything.len(), 2);
        let closed = everything.iter().find(|s| s.id == r.id).unwrap();
        assert_eq!((closed.next_due, closed.cve.as_ref()), (None, Some(&cve)));
    }
}

#[tokio::test]
async fn the_dashboard_is_ordered_by_next_deadline_then_newest() {
    for (backend, store, _db) in fresh_store().await {
        let w = world(store).await;
        let day = SignedDuration::from_hours(24);
        let p = Some(w.project.clone());
        // Received on different days: the acknowledgement deadlines follow.
        let later = w.submit("later deadline", p.clone(), t0() + day).await;
        let sooner = w.submit("sooner deadline", p.clone(), t0()).await;
        // Acknowledged and discussed by two members: no deadline until accepted.
        let mut quiet = w
            .submit("no deadline, older", p.clone(), t0() - day * 3)
            .await;
        quiet = w
            .step(&quiet, Command::Acknowledge { message: None }, &w.team)
            .await;
        quiet = w
            .step(
                &quiet,
                Command::Note {
                    body: "real".into(),
                },
                &w.team,
            )
            .await;
        quiet = w
            .step(
                &quiet,
                Command::Note {
                    body: "agreed".into(),
                },
                &w.org,
            )
            .await;
        assert_eq!(quiet.next_due(), None);
        let mut quiet_new = w
            .submit("no deadline, newer", p.clone(), t0() - day * 2)
            .await;
        quiet_new = w
            .step(&quiet_new, Command::Acknowledge { message: None }, &w.team)
            .await;
        quiet_new = w
            .step(
                &quiet_new,
                Command::Note {
                    body: "real".into(),
                },
                &w.team,
            )
            .await;
        quiet_new = w
            .step(
                &quiet_new,
                Command::Note {
                    body: "agreed".into(),
                },
                &w.org,
            )
            .await;
        let rejected = w.submit("rejected", p.clone(), t0()).await;
        w.step(
            &rejected,
            Command::Reject {
                reason: "Clickjacking.".into(),
            },
            &w.team,
        )
        .await;

        let order: Vec<ReportId> = store_ids(&w.store, &all(None)).await;
        assert_eq!(
            order,
            [
                sooner.id.clone(),
                later.id.clone(),
                quiet_new.id.clone(),
                quiet.id.clone()
            ],
            "{backend}"
        );
        // Pages do not overlap.
        let page = |offset| ReportFilter {
            limit: 3,
            offset,
            ..all(None)
        };
        let mut paged = store_ids(&w.store, &page(0)).await;
        paged.extend(store_ids(&w.store, &page(3)).await);
        assert_eq!(paged, order);
        // Overdue at a time between the two deadlines: only the sooner one.
        let between = sooner.next_due().unwrap() + SignedDuration::from_secs(1);
        assert!(between < later.next_due().unwrap());
        let overdue = store_ids(
            &w.store,
            &ReportFilter {
                due_before: Some(between),
                ..all(None)
            },
        )
        .await;
        assert_eq!(overdue, vec![sooner.id.clone()], "{backend}: overdue");
        // Keyset pages: each starts after the last row of the one before, and walk
        // the same order, two rows at a time.
        let mut walked = Vec::new();
        let mut after = None;
        loop {
            let rows = w
                .store
                .list_reports(&ReportFilter {
                    limit: 2,
                    after: after.clone(),
                    ..all(None)
                })
                .await
                .unwrap();
            let Some(last) = rows.last() else { break };
            after = Some(embargo_store::ListCursor::after(
                last,
                embargo_store::ListOrder::Deadline,
            ));
            let encoded = after.as_ref().unwrap().encode();
            assert_eq!(embargo_store::ListCursor::decode(&encoded), after);
            walked.extend(rows.into_iter().map(|r| r.id));
        }
        assert_eq!(walked, order, "{backend}: keyset pages");
        let with_closed = store_ids(
            &w.store,
            &ReportFilter {
                include_closed: true,
                triage: None,
                owner: None,
                after: None,
                due_before: None,
                limit: 0,
                ..all(None)
            },
        )
        .await;
        assert_eq!(with_closed.len(), 5);
    }
}

async fn store_ids(store: &SqlStore, filter: &ReportFilter) -> Vec<ReportId> {
    store
        .list_reports(filter)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

#[tokio::test]
async fn a_change_made_on_a_stale_version_is_refused() {
    for (backend, store, _db) in fresh_store().await {
        let w = world(store).await;
        let r = w.submit("race", Some(w.project.clone()), t0()).await;
        let first = w.decide(&r, Command::Acknowledge { message: None }, &w.team);
        let second = w.decide(
            &r,
            Command::Note {
                body: "me too".into(),
            },
            &w.org,
        );
        w.store.apply(&first).await.unwrap();
        let before = w.counts(&r.id).await;
        let err = w.store.apply(&second).await.unwrap_err();
        assert!(matches!(err, StoreError::Stale), "{backend}: {err}");
        assert_eq!(
            err.to_string(),
            "the report changed since it was read; reload and try again",
            "{backend}"
        );
        assert_eq!(
            w.counts(&r.id).await,
            before,
            "nothing of the refused change is kept"
        );
        assert_eq!(w.store.report(&r.id).await.unwrap().unwrap().version, 2);
    }
}

#[tokio::test]
async fn other_refusals_are_typed_too() {
    for (backend, store, _db) in fresh_store().await {
        let w = world(store).await;
        // A change of a report that was never stored: nothing to retry.
        let ghost = w.received("ghost", Some(w.project.clone()), t0()).report;
        let err = w
            .store
            .apply(&w.decide(&ghost, Command::Acknowledge { message: None }, &w.team))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{backend}: {err}");

        // A status link is unique: a second report with the same one is a duplicate.
        let token = Token::generate().digest();
        w.store
            .create_report(&w.received("one", None, t0()), &token)
            .await
            .unwrap();
        let err = w
            .store
            .create_report(&w.received("two", None, t0()), &token)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Duplicate(_)), "{backend}: {err}");
        assert!(err.to_string().ends_with(" already exists"), "{err}");

        // A merge of a report with itself.
        let r = w.submit("self", Some(w.project.clone()), t0()).await;
        let note = |body: &str| w.decide(&r, Command::Note { body: body.into() }, &w.org);
        let err = w
            .store
            .apply_both(&note("a"), &note("b"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{backend}: {err}");
    }
}

#[tokio::test]
async fn a_failed_cve_claim_rolls_back_the_whole_change() {
    for (backend, store, _db) in fresh_store().await {
        let w = world(store).await;
        let mut r = w.submit("claim", Some(w.project.clone()), t0()).await;
        r = w
            .step(&r, Command::Acknowledge { message: None }, &w.team)
            .await;
        r = w.step(&r, accept(), &w.team).await;
        let before = w.counts(&r.id).await;

        let not_in_pool = CveId::parse("CVE-2026-99999").unwrap();
        let change = w.decide(
            &r,
            Command::AssignCve {
                cve: not_in_pool.clone(),
            },
            &w.org,
        );
        assert!(!change.messages.is_empty() && !change.mails.is_empty());
        let err = w.store.apply(&change).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::CveTaken(cve) if *cve == not_in_pool),
            "{backend}: {err}"
        );
        assert_eq!(
            err.to_string(),
            "CVE-2026-99999 is not a free id of the pool; reload and try again",
            "{backend}"
        );
        assert_eq!(
            w.store.report(&r.id).await.unwrap().unwrap(),
            r,
            "the report is as it was"
        );
        assert_eq!(
            w.counts(&r.id).await,
            before,
            "no message, audit line or mail of the failed change"
        );

        // An id already taken by another report is refused the same way.
        let taken = CveId::parse("CVE-2026-10000").unwrap();
        let mut other = w.submit("other", Some(w.project.clone()), t0()).await;
        other = w
            .step(&other, Command::Acknowledge { message: None }, &w.team)
            .await;
        other = w.step(&other, accept(), &w.team).await;
        w.step(&other, Command::AssignCve { cve: taken.clone() }, &w.org)
            .await;
        let err = w
            .store
            .apply(&w.decide(&r, Command::AssignCve { cve: taken.clone() }, &w.org))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("CVE-2026-10000 is not a free id of the pool"),
            "{err}"
        );
        assert!(
            matches!(&err, StoreError::CveTaken(cve) if *cve == taken),
            "{backend}: {err}"
        );
        assert_eq!(w.counts(&r.id).await, before);
        assert_eq!(
            w.store.pool_stats().await.unwrap(),
            PoolStats {
                free: 2,
                assigned: 1
            }
        );
    }
}

#[tokio::test]
async fn the_audit_log_refuses_updates_and_deletes() {
    for (backend, store, _db) in fresh_store().await {
        let w = world(store).await;
        let r = w.submit("audited", None, t0()).await;
        for sql in [
            "UPDATE audit SET actor = 'someone else'",
            "DELETE FROM audit",
        ] {
            let err = sqlx::query(sql)
                .execute(w.store.pool())
                .await
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("the audit log is append-only"),
                "{backend}: {sql}: {err}"
            );
        }
        if backend == "postgres" {
            let err = sqlx::query("TRUNCATE audit")
                .execute(w.store.pool())
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains("append-only"), "{err}");
        }
        assert_eq!(w.store.audit_log(&r.id).await.unwrap()[0].actor, "reporter");
    }
}

#[tokio::test]
async fn a_wrong_data_key_reads_nothing() {
    let (url, _db) = fresh_database_url(TestBackend::Sqlite).await.unwrap();
    let store = SqlStore::connect(&url, Sealer::random()).await.unwrap();
    let w = world(store).await;
    let r = w.submit("sealed", None, t0()).await;
    // A store with another key is refused at once (tests/confidentiality.rs has more).
    assert!(matches!(
        SqlStore::connect(&url, Sealer::random()).await,
        Err(StoreError::Config(_))
    ));

    // A sealed value moved to another row does not open there.
    let r2 = w.submit("another", None, t0()).await;
    sqlx::query("UPDATE reports SET content_sealed = (SELECT content_sealed FROM reports WHERE id = $1) WHERE id = $2")
        .bind(r.id.as_str())
        .bind(r2.id.as_str())
        .execute(w.store.pool())
        .await
        .unwrap();
    assert!(matches!(
        w.store.report(&r2.id).await,
        Err(StoreError::Corrupt(_))
    ));
    assert!(w.store.report(&r.id).await.unwrap().is_some());
}

#[tokio::test]
async fn report_content_is_not_stored_in_clear() {
    let (url, db) = fresh_database_url(TestBackend::Sqlite).await.unwrap();
    let store = SqlStore::connect(&url, Sealer::random()).await.unwrap();
    let w = world(store).await;
    let canary = "CANARY-7f3c1e-title";
    let r = w.submit(canary, Some(w.project.clone()), t0()).await;
    w.step(
        &r,
        Command::Reply {
            body: format!("{canary} in a reply"),
        },
        &w.team,
    )
    .await;
    let queued = w.store.outbox_for_report(&r.id).await.unwrap();
    assert!(
        queued
            .iter()
            .any(|m| m.to.iter().any(|e| e.as_str() == "ann@example.net")),
        "mails to the reporter were queued, so the check below covers the outbox"
    );
    w.store.close().await;

    let path = db.sqlite_path().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
        bytes.extend(wal);
    }
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        contains(r.id.as_str()),
        "the check must see clear columns, or it proves nothing"
    );
    assert!(!contains(canary), "the title is stored in clear");
    assert!(
        !contains("steps to reproduce"),
        "the description is stored in clear"
    );
    // The reporter's address is in the report and in every queued mail to them.
    assert!(
        !contains("ann@example.net"),
        "the reporter's address is stored in clear"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_all_succeed() {
    for (backend, store, _db) in fresh_store().await {
        let w = std::sync::Arc::new(world(store).await);
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let w = w.clone();
                tokio::spawn(async move {
                    // Two writes each: a new report, then a change to it.
                    let r = w
                        .submit(&format!("concurrent {i}"), Some(w.project.clone()), t0())
                        .await;
                    w.step(&r, Command::Acknowledge { message: None }, &w.team)
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().version, 2, "{backend}");
        }
        assert_eq!(w.store.list_reports(&all(None)).await.unwrap().len(), 8);
    }
}

/// A step of one report and what the reporters of the reports merged into it are told
/// are stored together or not at all (`apply_all`), and the surviving report keeps the
/// merged one through the store.
#[tokio::test]
async fn a_step_and_the_merged_reporters_notices_are_stored_together() {
    for (backend, store, _db) in fresh_store().await {
        let w = world(store).await;
        let a = w
            .submit("first report", Some(w.project.clone()), t0())
            .await;
        let b = w
            .submit("same bug again", Some(w.project.clone()), t0())
            .await;
        let same = MergeAcross {
            target_team: w.contacts.team.clone(),
            confirmed: false,
        };
        let m = merge(&b, &a, &w.org, t0(), &w.contacts, &same).unwrap();
        let (b1, a1) = w.store.apply_both(&m.source, &m.target).await.unwrap();
        let kept = w.store.report(&a.id).await.unwrap().unwrap().merged;
        assert_eq!(kept.len(), 1, "{backend}");
        assert_eq!(kept[0].report, b.id, "{backend}");

        let note = |r: &Report| {
            w.decide(
                r,
                Command::Note {
                    body: "noted".into(),
                },
                &w.org,
            )
        };
        // Two changes of one report: refused before anything is written.
        let err = w
            .store
            .apply_all(&[note(&a1), note(&a1)])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{backend}: {err}");
        // B moved on meanwhile: the second change is stale, and the first is not kept.
        w.step(
            &b1,
            Command::Note {
                body: "meanwhile".into(),
            },
            &w.org,
        )
        .await;
        let before_a = w.counts(&a.id).await;
        let err = w
            .store
            .apply_all(&[note(&a1), note(&b1)])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Stale), "{backend}: {err}");
        assert_eq!(w.counts(&a.id).await, before_a, "{backend}");
        // On what is stored now, both go in.
        let b_now = w.store.report(&b.id).await.unwrap().unwrap();
        let stored = w.store.apply_all(&[note(&a1), note(&b_now)]).await.unwrap();
        assert_eq!(stored[0].id, a.id, "{backend}");
        assert_eq!(stored[1].version, b_now.version + 1, "{backend}");
    }
}

#[tokio::test]
async fn a_merge_is_atomic_and_a_merged_report_is_closed() {
    for (backend, store, _db) in fresh_store().await {
        let w = world(store).await;
        let a = w
            .submit("first report", Some(w.project.clone()), t0())
            .await;
        let b = w
            .submit("same bug again", Some(w.project.clone()), t0())
            .await;
        let m = merge(
            &b,
            &a,
            &w.org,
            t0(),
            &w.contacts,
            &MergeAcross {
                target_team: w.contacts.team.clone(),
                confirmed: false,
            },
        )
        .unwrap();
        // A changes under the merge: its version check fails after B's row was written
        // (B is applied first), and B must be left exactly as it was.
        w.step(
            &a,
            Command::Note {
                body: "meanwhile".into(),
            },
            &w.org,
        )
        .await;
        let before_b = w.counts(&b.id).await;
        let before_a = w.counts(&a.id).await;
        let err = w.store.apply_both(&m.source, &m.target).await.unwrap_err();
        assert!(matches!(err, StoreError::Stale), "{backend}: {err}");
        let stored_b = w.store.report(&b.id).await.unwrap().unwrap();
        assert_eq!(stored_b.state, ReportState::Received, "{backend}");
        assert_eq!(stored_b.merged_into, None, "{backend}");
        assert_eq!(stored_b.version, b.version, "{backend}");
        assert_eq!(w.counts(&b.id).await, before_b, "{backend}");
        assert_eq!(w.counts(&a.id).await, before_a, "{backend}");
        // Decided again on what is stored now, it goes through, both sides at once.
        let a_now = w.store.report(&a.id).await.unwrap().unwrap();
        let m = merge(
            &stored_b,
            &a_now,
            &w.org,
            t0(),
            &w.contacts,
            &MergeAcross {
                target_team: w.contacts.team.clone(),
                confirmed: false,
            },
        )
        .unwrap();
        let (b2, a2) = w.store.apply_both(&m.source, &m.target).await.unwrap();
        assert_eq!(b2.state, ReportState::Merged, "{backend}");
        assert_eq!(b2.merged_into.as_ref(), Some(&a.id), "{backend}");
        assert_eq!(a2.version, a_now.version + 1, "{backend}");
        let stored_b = w.store.report(&b.id).await.unwrap().unwrap();
        assert_eq!(stored_b.merged_into.as_ref(), Some(&a.id), "{backend}");
        let audit = w.store.audit_log(&a.id).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "merge" && e.detail.contains(b.id.as_str()))
        );
        let audit = w.store.audit_log(&b.id).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "merge" && e.detail.contains(a.id.as_str()))
        );
        // Closed: off the open list, on the full one.
        let open = store_ids(&w.store, &all(None)).await;
        assert!(!open.contains(&b.id) && open.contains(&a.id), "{backend}");
        let mut with_closed = all(None);
        with_closed.include_closed = true;
        assert!(
            store_ids(&w.store, &with_closed).await.contains(&b.id),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_split_creates_the_second_report_with_the_first_change() {
    for (backend, store, _db) in fresh_store().await {
        let w = world(store).await;
        let r = w.submit("two bugs", Some(w.project.clone()), t0()).await;
        let r = w
            .step(&r, Command::Acknowledge { message: None }, &w.team)
            .await;
        let r = w.step(&r, accept(), &w.team).await;
        let id2 = ReportId::generate();
        let s = split(&r, id2.clone(), &w.team, t0(), &w.contacts).unwrap();
        // A stale original creates nothing.
        let mut stale = s.clone();
        stale.original.report.version -= 1;
        assert!(
            w.store
                .apply_and_create(&stale.original, &stale.created, &Token::generate().digest())
                .await
                .is_err()
        );
        assert!(w.store.report(&id2).await.unwrap().is_none(), "{backend}");
        let (a, a2) = w
            .store
            .apply_and_create(&s.original, &s.created, &Token::generate().digest())
            .await
            .unwrap();
        assert_eq!(a.version, r.version + 1, "{backend}");
        assert_eq!(a2.state, ReportState::Accepted, "{backend}");
        let stored = w.store.report(&id2).await.unwrap().unwrap();
        assert_eq!(stored.split_from.as_ref(), Some(&r.id), "{backend}");
        assert_eq!(stored.disclosure_date, r.disclosure_date, "{backend}");
        assert_eq!(w.counts(&id2).await, (1, 1, 0), "{backend}");
    }
}

#[tokio::test]
async fn a_list_over_several_projects_merges_their_slices_in_order() {
    for (backend, store, _db) in fresh_store().await {
        let w = world(store).await;
        let mut projects = vec![w.project.clone()];
        for slug in ["flink", "spark"] {
            let outcome = w
                .store
                .upsert_project(&ProjectInput {
                    slug: ProjectSlug::parse(slug).unwrap(),
                    name: slug.into(),
                    security_email: None,
                    users_list: None,
                    security_model_url: None,
                    team: vec![],
                    policy: PolicyOverrides::default(),
                    trusted: false,
                })
                .await
                .unwrap();
            let UpsertOutcome::Created(id) = outcome else {
                panic!("{outcome:?}")
            };
            projects.push(w.store.project_by_id(id).await.unwrap().unwrap().as_ref());
        }
        // Interleaved arrivals over three projects.
        let hour = SignedDuration::from_hours(1);
        for i in 0..12 {
            let p = projects[i % 3].clone();
            w.submit(&format!("report {i}"), Some(p), t0() + hour * (i as i32))
                .await;
        }
        let two = Some(vec![projects[0].id, projects[2].id]);
        // The merged list is the full list restricted to those projects, in order.
        let everything = store_ids(&w.store, &all(None)).await;
        let of_two: Vec<ReportId> = {
            let mut keep = Vec::new();
            for id in everything {
                let r = w.store.report(&id).await.unwrap().unwrap();
                if r.project
                    .as_ref()
                    .is_some_and(|p| p.id == projects[0].id || p.id == projects[2].id)
                {
                    keep.push(id);
                }
            }
            keep
        };
        assert_eq!(of_two.len(), 8, "{backend}");
        assert_eq!(
            store_ids(&w.store, &all(two.clone())).await,
            of_two,
            "{backend}"
        );
        // Paged three at a time, by offset and by cursor, the same rows.
        let mut by_cursor = Vec::new();
        let mut after = None;
        loop {
            let rows = w
                .store
                .list_reports(&ReportFilter {
                    limit: 3,
                    after: after.clone(),
                    ..all(two.clone())
                })
                .await
                .unwrap();
            let Some(last) = rows.last() else { break };
            after = Some(embargo_store::ListCursor::after(
                last,
                embargo_store::ListOrder::Deadline,
            ));
            by_cursor.extend(rows.into_iter().map(|r| r.id));
        }
        assert_eq!(by_cursor, of_two, "{backend}");
        let second_page = store_ids(
            &w.store,
            &ReportFilter {
                limit: 3,
                offset: 3,
                ..all(two.clone())
            },
        )
        .await;
        assert_eq!(second_page, of_two[3..6], "{backend}");
        assert_eq!(embargo_store::ListCursor::decode("1.2"), None);
        assert_eq!(
            embargo_store::ListCursor::decode("x.2.EMB-AAAAAAAAAAAA"),
            None
        );
    }
}

/// `record` in the single-product shape the versions before several products wrote:
/// the first product's fields at the top level (`product`, `affected`...).
fn single_product_shape(record: &CnaRecord) -> serde_json::Value {
    let mut json = serde_json::to_value(record).unwrap();
    let o = json.as_object_mut().unwrap();
    let products = o.remove("products").unwrap();
    let p = &products[0];
    for (old, new) in [
        ("product", "product"),
        ("collection_url", "collection_url"),
        ("package_name", "package_name"),
        ("version_type", "version_type"),
        ("affected", "versions"),
        ("default_status", "default_status"),
    ] {
        o.insert(old.into(), p[new].clone());
    }
    json
}

/// A record kept by the versions before several products, sealed in the report and in
/// its record versions with one product at the top level, opens as a record of that
/// one product; saved again unchanged it keeps no new version, and a second product
/// is a new version.
#[tokio::test]
async fn a_record_kept_in_the_single_product_shape_opens_as_one_product() {
    const KEY: [u8; 32] = [5; 32];
    for backend in embargo_store::test_support::backends() {
        let Some((url, _db)) = fresh_database_url(backend).await else {
            continue;
        };
        let backend = backend.name();
        let store = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .unwrap();
        let w = world(store).await;
        let r = w
            .submit("RCE in Connect", Some(w.project.clone()), t0())
            .await;
        let r = w
            .step(&r, Command::Acknowledge { message: None }, &w.team)
            .await;
        let r = w.step(&r, accept(), &w.team).await;
        let mut old = record();
        old.products[0].collection_url = Some("https://repo.maven.apache.org/maven2".into());
        old.products[0].package_name = Some("org.apache.kafka:connect-runtime".into());
        old.products[0].version_type = Some("maven".into());
        let r = w
            .step(
                &r,
                Command::SaveRecord {
                    record: old.clone(),
                },
                &w.team,
            )
            .await;

        // Rewrite what is sealed as the earlier versions wrote it.
        let sealer = Sealer::from_key(&KEY);
        let id = r.id.as_str();
        let pool = w.store.pool();
        let sealed: Vec<u8> =
            sqlx::query_scalar("SELECT content_sealed FROM reports WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap();
        let aad = format!("report:{id}");
        let mut content: serde_json::Value =
            serde_json::from_str(&sealer.open_string(&aad, &sealed).unwrap()).unwrap();
        content["cna_record"] = single_product_shape(&old);
        sqlx::query("UPDATE reports SET content_sealed = $1 WHERE id = $2")
            .bind(sealer.seal_str(&aad, &content.to_string()).unwrap())
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
        let aad = format!("record_version:{id}");
        let version = sealer
            .seal_str(&aad, &single_product_shape(&old).to_string())
            .unwrap();
        let rewritten =
            sqlx::query("UPDATE record_versions SET record_sealed = $1 WHERE report_id = $2")
                .bind(version)
                .bind(id)
                .execute(pool)
                .await
                .unwrap();
        assert_eq!(rewritten.rows_affected(), 1, "{backend}");

        let opened = w.store.report(&r.id).await.unwrap().unwrap();
        assert_eq!(opened.cna_record.as_ref(), Some(&old), "{backend}");
        let versions = w.store.record_versions(&r.id).await.unwrap();
        assert_eq!(versions.len(), 1, "{backend}");
        assert_eq!(versions[0].record, old, "{backend}");

        // Saved again unchanged: the same record, so no new version.
        let r = w
            .step(
                &opened,
                Command::SaveRecord {
                    record: old.clone(),
                },
                &w.team,
            )
            .await;
        assert_eq!(
            w.store.record_versions(&r.id).await.unwrap().len(),
            1,
            "{backend}"
        );
        let mut two = old.clone();
        two.products.push(AffectedProduct {
            product: "Apache Kafka Connect".into(),
            package_url: Some("pkg:maven/org.apache.kafka/connect-api".into()),
            ..old.products[0].clone()
        });
        w.step(
            &r,
            Command::SaveRecord {
                record: two.clone(),
            },
            &w.team,
        )
        .await;
        let versions = w.store.record_versions(&r.id).await.unwrap();
        assert_eq!(versions.len(), 2, "{backend}");
        assert_eq!(versions[1].record, two, "{backend}");
        assert_eq!(
            w.store.report(&r.id).await.unwrap().unwrap().cna_record,
            Some(two),
            "{backend}"
        );
    }
}
