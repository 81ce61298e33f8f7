//! Held-mail filters, bulk discard and sender rules in the store, on every backend
//! from `test_support`: SQLite always, PostgreSQL when `EMBARGO_TEST_POSTGRES` names a
//! server.
#![allow(clippy::unwrap_used)]

use embargo_domain::ids::{Email, UserId};
use embargo_domain::senders::{SenderAction, SenderPattern, patterns_for};
use embargo_store::test_support::fresh_store;
use embargo_store::*;
use jiff::{SignedDuration, Timestamp};
use sqlx::Row;

fn t0() -> Timestamp {
    "2026-11-19T10:00:00Z".parse().unwrap()
}

async fn org_member(store: &SqlStore) -> UserId {
    store
        .create_user(&NewUser {
            email: Email::parse("cna@example.org").unwrap(),
            name: "Cee".into(),
            org_team: true,
            password_hash: None,
        })
        .await
        .unwrap()
}

async fn hold(store: &SqlStore, n: u32, reason: &str, from: &str, at: Timestamp) -> i64 {
    let raw = format!("From: {from}\r\nSubject: held {n}\r\n\r\nbody {n}\r\n");
    store
        .hold_mail(&NewHeldMail {
            message_id: &format!("held-{n}@mx.example"),
            raw: raw.as_bytes(),
            reason,
            from: Some(from),
            subject: &format!("held {n}"),
            received_at: at,
        })
        .await
        .unwrap()
        .unwrap()
}

/// Organisation-level audit entries (no report): (actor, action, detail).
async fn org_audit(store: &SqlStore) -> Vec<(String, String, String)> {
    sqlx::query("SELECT actor, action, detail FROM audit WHERE report_id IS NULL ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get("actor").unwrap(),
                r.try_get("action").unwrap(),
                r.try_get("detail").unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn held_mail_is_filtered_by_state_reason_sender_and_date() {
    for (backend, store, _db) in fresh_store().await {
        let by = org_member(&store).await;
        let day = SignedDuration::from_hours(24);
        let a = hold(
            &store,
            1,
            "bounce: null envelope sender",
            "MAILER-DAEMON@mx.example",
            t0(),
        )
        .await;
        let b = hold(
            &store,
            2,
            "auto_reply: Auto-Submitted: auto-replied",
            "Ann@Research.example",
            t0() + day,
        )
        .await;
        let c = hold(
            &store,
            3,
            "blocked_sender: sender rule #1",
            "eve@spam.example",
            t0() + day * 2,
        )
        .await;
        let d = hold(
            &store,
            4,
            "autoXreply: not a kind",
            "x@other.example",
            t0() + day * 3,
        )
        .await;
        let filter = |f: fn(&mut HeldFilter)| {
            let mut filter = HeldFilter::state(HeldState::Held);
            f(&mut filter);
            filter
        };
        let ids = |l: HeldListing| l.mails.iter().map(|m| m.id).collect::<Vec<_>>();

        let all = store.held_listing(&filter(|_| {}), 500).await.unwrap();
        assert_eq!((all.matching, all.complete), (4, true), "{backend}");
        assert_eq!(ids(all), vec![d, c, b, a], "{backend}: newest first");

        let f = filter(|f| f.category = Some(HeldCategory::AutoReply));
        assert_eq!(
            ids(store.held_listing(&f, 500).await.unwrap()),
            vec![b],
            "{backend}: `_` is no wildcard"
        );
        let f = filter(|f| f.category = Some(HeldCategory::BlockedSender));
        assert_eq!(
            ids(store.held_listing(&f, 500).await.unwrap()),
            vec![c],
            "{backend}"
        );
        assert_eq!(HeldCategory::of("autoXreply: not a kind"), None);
        assert_eq!(HeldCategory::of("bounce: x"), Some(HeldCategory::Bounce));

        // The sender is sealed: opened and searched, case-insensitively.
        let f = filter(|f| f.sender = Some("research.example".into()));
        let found = store.held_listing(&f, 500).await.unwrap();
        assert_eq!(
            (ids(found.clone()), found.matching),
            (vec![b], 1),
            "{backend}"
        );
        let f = filter(|f| f.sender = Some("@spam".into()));
        assert_eq!(
            ids(store.held_listing(&f, 500).await.unwrap()),
            vec![c],
            "{backend}"
        );

        let f = filter(|f| {
            f.received_from = Some(t0() + SignedDuration::from_hours(24));
            f.received_before = Some(t0() + SignedDuration::from_hours(72));
        });
        assert_eq!(
            ids(store.held_listing(&f, 500).await.unwrap()),
            vec![c, b],
            "{backend}"
        );
        // The limit cuts the page, not the count.
        let page = store.held_listing(&filter(|_| {}), 2).await.unwrap();
        assert_eq!((page.mails.len(), page.matching), (2, 4), "{backend}");

        store
            .discard_held(a, by, "user:cna@example.org", t0())
            .await
            .unwrap();
        let f = HeldFilter::state(HeldState::Discarded);
        assert_eq!(
            ids(store.held_listing(&f, 500).await.unwrap()),
            vec![a],
            "{backend}"
        );
        assert_eq!(
            store.held_ids(&filter(|_| {}), 2).await.unwrap(),
            vec![d, c],
            "{backend}: ids for a bulk discard, newest first, bounded"
        );
    }
}

#[tokio::test]
async fn a_bulk_discard_audits_each_mail_and_changes_nothing_on_an_unknown_id() {
    for (backend, store, _db) in fresh_store().await {
        let by = org_member(&store).await;
        let mut ids = Vec::new();
        for n in 1..=5 {
            ids.push(
                hold(
                    &store,
                    n,
                    "bounce: mailer-daemon",
                    "MAILER-DAEMON@mx.example",
                    t0(),
                )
                .await,
            );
        }
        let actor = "user:cna@example.org";

        let err = store
            .discard_held_many(&[ids[0], 999_999], by, actor, t0())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{backend}: {err}");
        assert_eq!(
            store.held_count().await.unwrap(),
            5,
            "{backend}: nothing changed"
        );
        assert!(org_audit(&store).await.is_empty(), "{backend}");

        store.discard_held(ids[1], by, actor, t0()).await.unwrap();
        // One already discarded is passed over; duplicates count once.
        let n = store
            .discard_held_many(&[ids[0], ids[1], ids[2], ids[2]], by, actor, t0())
            .await
            .unwrap();
        assert_eq!(n, 2, "{backend}");
        assert_eq!(store.held_count().await.unwrap(), 2, "{backend}");
        let audit = org_audit(&store).await;
        let expected: Vec<(String, String, String)> = [ids[1], ids[0], ids[2]]
            .iter()
            .map(|id| {
                (
                    actor.into(),
                    "held_mail_discarded".into(),
                    format!("held mail #{id}"),
                )
            })
            .collect();
        assert_eq!(
            audit, expected,
            "{backend}: as a single discard writes, once each"
        );

        let too_many: Vec<i64> = (1..=i64::try_from(MAX_BULK_DISCARD).unwrap() + 1).collect();
        assert!(matches!(
            store.discard_held_many(&too_many, by, actor, t0()).await,
            Err(StoreError::Conflict(_))
        ));
    }
}

#[tokio::test]
async fn sender_rules_block_throttle_and_lift() {
    for (backend, store, db) in fresh_store().await {
        let by = org_member(&store).await;
        let actor = "user:cna@example.org";
        let mallory = SenderPattern::parse("Mallory@Example.com").unwrap();
        let spam = SenderPattern::parse("@spam.example").unwrap();

        let block = store
            .add_sender_rule(
                &NewSenderRule {
                    pattern: &mallory,
                    action: SenderAction::Block,
                    reason: "sends fake reports",
                },
                by,
                actor,
                t0(),
            )
            .await
            .unwrap();
        assert_eq!(block.pattern, "mallory@example.com", "{backend}");
        assert_eq!(block.created_by, "cna@example.org", "{backend}");
        let throttle = store
            .add_sender_rule(
                &NewSenderRule {
                    pattern: &spam,
                    action: SenderAction::Throttle { per_day: 2 },
                    reason: "a flood of scanner output",
                },
                by,
                actor,
                t0(),
            )
            .await
            .unwrap();
        // One rule in force per pattern.
        let again = store
            .add_sender_rule(
                &NewSenderRule {
                    pattern: &spam,
                    action: SenderAction::Block,
                    reason: "again",
                },
                by,
                actor,
                t0(),
            )
            .await;
        assert!(
            matches!(again, Err(StoreError::Duplicate(_))),
            "{backend}: {again:?}"
        );

        let check = |who: &str, new_report: bool, at: Timestamp| {
            let store = store.clone();
            let patterns = patterns_for(who);
            async move { store.check_sender(&patterns, new_report, at).await.unwrap() }
        };
        assert_eq!(
            check("MALLORY@example.com", true, t0()).await,
            SenderCheck::Blocked {
                rule: block.id,
                reason: "sends fake reports".into()
            },
            "{backend}"
        );
        assert_eq!(
            check("ann@example.com", true, t0()).await,
            SenderCheck::Open
        );
        // Two a day from the whole domain, subdomains included; replies are not counted.
        assert_eq!(
            check("a@spam.example", false, t0()).await,
            SenderCheck::Open
        );
        assert_eq!(
            check("a@spam.example", true, t0()).await,
            SenderCheck::Admitted
        );
        assert_eq!(
            check("b@mx.spam.example", true, t0()).await,
            SenderCheck::Admitted
        );
        assert_eq!(
            check("c@spam.example", true, t0()).await,
            SenderCheck::Throttled {
                rule: throttle.id,
                per_day: 2
            },
            "{backend}"
        );
        // A day later the count starts again.
        let later = t0() + SignedDuration::from_hours(25);
        assert_eq!(
            check("c@spam.example", true, later).await,
            SenderCheck::Admitted
        );

        let lifted = store
            .lift_sender_rule(block.id, "apologised", by, actor, t0())
            .await
            .unwrap();
        assert_eq!(lifted.lift_reason.as_deref(), Some("apologised"));
        assert_eq!(lifted.lifted_by.as_deref(), Some("cna@example.org"));
        assert_eq!(
            check("mallory@example.com", true, t0()).await,
            SenderCheck::Open
        );
        assert!(matches!(
            store
                .lift_sender_rule(block.id, "twice", by, actor, t0())
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store.lift_sender_rule(4242, "none", by, actor, t0()).await,
            Err(StoreError::NotFound(_))
        ));
        let in_force = store.sender_rules(false).await.unwrap();
        assert_eq!(
            in_force.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![throttle.id]
        );
        let gone = store.sender_rules(true).await.unwrap();
        assert_eq!(
            gone.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![block.id]
        );

        // Who and when in the audit log; neither the address nor the reasons.
        let audit = org_audit(&store).await;
        assert_eq!(
            audit,
            vec![
                (
                    actor.into(),
                    "sender_rule_added".into(),
                    format!("sender rule #{}: block, address", block.id)
                ),
                (
                    actor.into(),
                    "sender_rule_added".into(),
                    format!("sender rule #{}: throttle to 2 a day, domain", throttle.id)
                ),
                (
                    actor.into(),
                    "sender_rule_lifted".into(),
                    format!("sender rule #{}", block.id)
                ),
            ],
            "{backend}"
        );

        // A copy of the database does not name whom the team blocked, nor why.
        if let Some(path) = db.sqlite_path() {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(store.pool())
                .await
                .unwrap();
            let mut bytes = std::fs::read(&path).unwrap();
            if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
                bytes.extend(wal);
            }
            let text = String::from_utf8_lossy(&bytes).to_lowercase();
            for secret in [
                "mallory@example.com",
                "mallory",
                "spam.example",
                "fake reports",
                "apologised",
            ] {
                assert!(
                    !text.contains(secret),
                    "{backend}: {secret:?} in clear in the database file"
                );
            }
        }
    }
}

#[tokio::test]
async fn at_most_so_many_rules_are_in_force() {
    for (backend, store, _db) in fresh_store().await {
        let by = org_member(&store).await;
        // Rules put in directly (their sealed columns are never opened here).
        let mut tx = store.pool().begin().await.unwrap();
        for mark in 0..i64::try_from(embargo_domain::senders::MAX_ACTIVE_RULES).unwrap() {
            sqlx::query(
                "INSERT INTO sender_rules (mark, scope, action, pattern_sealed, reason_sealed, \
                 created_at, created_by) VALUES ($1, 'address', 'block', $2, $2, 0, $3)",
            )
            .bind(mark)
            .bind(vec![0u8; 4])
            .bind(by.0)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let pattern = SenderPattern::parse("one@too-many.example").unwrap();
        let rule = NewSenderRule {
            pattern: &pattern,
            action: SenderAction::Block,
            reason: "r",
        };
        let err = store
            .add_sender_rule(&rule, by, "user:cna@example.org", t0())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict(m) if m.contains("1000 sender rules are in force")),
            "{backend}: {err}"
        );
        assert!(
            org_audit(&store).await.is_empty(),
            "{backend}: nothing written"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_messages_never_take_more_than_the_daily_places() {
    for (backend, store, _db) in fresh_store().await {
        let by = org_member(&store).await;
        let pattern = SenderPattern::parse("@flood.example").unwrap();
        store
            .add_sender_rule(
                &NewSenderRule {
                    pattern: &pattern,
                    action: SenderAction::Throttle { per_day: 3 },
                    reason: "flood",
                },
                by,
                "user:cna@example.org",
                t0(),
            )
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for n in 0..10 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let patterns = patterns_for(&format!("bot{n}@flood.example"));
                store.check_sender(&patterns, true, t0()).await.unwrap()
            }));
        }
        let mut admitted = 0;
        for t in tasks {
            if t.await.unwrap() == SenderCheck::Admitted {
                admitted += 1;
            }
        }
        assert_eq!(admitted, 3, "{backend}");
    }
}
