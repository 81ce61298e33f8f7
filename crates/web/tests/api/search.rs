//! The team's search (`GET /api/v1/reports?q=…`, docs/search.md), on both backends:
//! found by title word, description phrase, a message added later (by the team or the
//! reporter), reporter address and domain, CVE id prefix, report id prefix; with the
//! other filters and keyset paging; by the name of a mail's attachment; never another project's report; reports stored
//! before the index become searchable once the backfill ran; a bad query is refused
//! with its reason; and what was searched for is nowhere in the database in clear.

use embargo_domain::ids::{Email, ProjectSlug, ReportId};
use embargo_domain::lifecycle::Contacts;
use embargo_domain::mail::{HoldReason, hold};
use embargo_domain::policy::PolicyOverrides;
use embargo_store::{
    IncomingMail, MailEffect, Mailbox, NewAttachment, ProjectInput, Projects, Reports,
};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{MEMBER_A, TestApp, apps, email, page_text, token_of};

/// Submits a report to `project`; returns its id and status URL.
async fn submit(
    app: &TestApp,
    project: &str,
    title: &str,
    description: &str,
    reporter: &str,
) -> (String, String) {
    let (status, body) = app
        .post_json(
            "/api/v1/reports",
            None,
            &json!({
                "project": project,
                "title": title,
                "description": description,
                "reporter_name": "Mallory Quinn",
                "reporter_email": reporter,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{}: {body}", app.backend);
    (
        body["id"].as_str().expect("id").to_string(),
        body["status_url"].as_str().expect("status_url").to_string(),
    )
}

/// The ids `token` finds for `query` (a URL query string without `q=`'s encoding).
async fn found(app: &TestApp, token: &str, q: &str, more: &str) -> Vec<String> {
    let (status, body) = search(app, token, q, more).await;
    assert_eq!(status, StatusCode::OK, "{}: q={q}: {body}", app.backend);
    ids(&body)
}

async fn search(app: &TestApp, token: &str, q: &str, more: &str) -> (StatusCode, Value) {
    let url = reqwest::Url::parse_with_params(
        &app.url("/api/v1/reports"),
        [("q", q)].into_iter().chain(
            more.split('&')
                .filter(|p| !p.is_empty())
                .filter_map(|p| p.split_once('=')),
        ),
    )
    .expect("url");
    let res = app
        .http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = res.status();
    let text = res.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn ids(body: &Value) -> Vec<String> {
    let mut ids: Vec<String> = body["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

const HEAP: &str = "The gzip decoder of the image importer trusts the length field of \
    the header; a crafted archive allows remote code execution as the service user.";
const OTHER: &str = "Remote users can reach internal code paths of the admin console; \
    the execution of the request stops there but the error page leaks the version.";

#[tokio::test(flavor = "multi_thread")]
async fn finds_by_words_phrases_messages_addresses_and_ids() {
    for app in apps().await {
        let b = app.backend;
        let (heap, heap_link) = submit(
            &app,
            "alpha",
            "Heap overflow in the Gzip decoder",
            HEAP,
            "mallory@labs.example.com",
        )
        .await;
        let (other, _) = submit(
            &app,
            "alpha",
            "Admin console information leak",
            OTHER,
            "eve@elsewhere.example.net",
        )
        .await;
        let (h, o) = (vec![heap.clone()], vec![other.clone()]);
        let both = sorted(vec![heap.clone(), other.clone()]);
        let none: Vec<String> = vec![];
        let id_start = other[..9].to_string();
        let id_lower = other.to_lowercase();
        expect(
            &app,
            &[
                // A title word, any case; a query is an AND of its terms.
                ("GZIP", "", &h),
                ("gzip console", "", &none),
                // Words anywhere, versus the same words as a phrase.
                ("remote code execution", "", &both),
                (r#""remote code execution""#, "", &h),
                // The reporter, by address, by domain, by name.
                ("mallory@labs.example.com", "", &h),
                ("@example.com", "", &h),
                ("@elsewhere.example.net", "", &o),
                ("quinn", "", &both),
                // A report id by its first characters, any case.
                (&id_start, "", &o),
                (&id_lower, "", &o),
            ],
        )
        .await;

        // Messages added later: an internal note and the reporter's reply.
        let (status, body) = app
            .post_json(
                &format!("/api/v1/reports/{other}/messages"),
                Some(&app.member_a),
                &json!({"kind": "note", "body": "Reproduced with the Xylophone fuzzer."}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {body}");
        let (status, body) = app
            .post_json(
                &format!("/api/v1/status/{}/messages", token_of(&heap_link)),
                None,
                &json!({"body": "A second archive also triggers it: quokka.tar.gz"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {body}");
        // A CVE id, by a prefix, once assigned.
        app.walk_to(&heap, "cve_assigned", "CVE-2026-48213").await;
        expect(
            &app,
            &[
                ("xylophone fuzzer", "", &o),
                ("quokka", "", &h),
                // Still found by its own fields after the changes.
                ("gzip", "", &h),
                ("CVE-2026-482", "", &h),
                ("cve-2026-48213", "", &h),
                ("CVE-2026-483", "", &none),
                // With the other filters.
                ("remote", "state=received", &o),
                ("remote", "cve=assigned", &h),
                ("remote", "project=alpha", &both),
                ("remote", "sort=received", &both),
            ],
        )
        .await;
    }
}

/// Each search (query, other parameters) finds exactly these reports, as member A.
async fn expect(app: &TestApp, cases: &[(&str, &str, &Vec<String>)]) {
    for (q, more, ids) in cases {
        assert_eq!(
            &found(app, &app.member_a, q, more).await,
            *ids,
            "{}: q={q} {more}",
            app.backend
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn search_pages_by_cursor_like_any_list() {
    for app in apps().await {
        let b = app.backend;
        let mut made = Vec::new();
        for i in 0..5 {
            let (id, _) = submit(
                &app,
                "alpha",
                &format!("Wombat parser crash number {i}"),
                "The wombat parser crashes on an empty document.",
                "finder@example.org",
            )
            .await;
            made.push(id);
        }
        submit(
            &app,
            "alpha",
            "Unrelated",
            "Nothing of the kind.",
            "x@example.org",
        )
        .await;
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let more = if cursor.is_empty() {
                "limit=2".to_string()
            } else {
                format!("limit=2&cursor={cursor}")
            };
            let (status, body) = search(&app, &app.member_a, "wombat", &more).await;
            assert_eq!(status, StatusCode::OK, "{b}: {body}");
            seen.extend(ids(&body));
            match body["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => break,
            }
        }
        assert_eq!(sorted(seen), sorted(made), "{b}: every match once");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn attachments_of_mail_are_found_by_name() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = submit(&app, "alpha", "Parser crash", "Crashes.", "a@example.org").await;
        let report = app
            .store
            .report(&ReportId::parse(&id).expect("id"))
            .await
            .expect("load")
            .expect("report");
        let contacts = Contacts {
            org_name: "Example".into(),
            org_security: Email::parse("security@example.org").expect("email"),
            team: Email::parse("security@alpha.example.org").expect("email"),
            users_list: None,
            status_url: None,
            base_url: None,
            owner: None,
        };
        let change = hold(
            &report,
            "eve@elsewhere.example",
            "the proof of concept is attached",
            HoldReason::UnknownSender,
            Timestamp::now(),
            &contacts,
        )
        .expect("hold");
        let attachments = [NewAttachment {
            name: "wallaby-exploit.py".into(),
            content_type: "text/x-python".into(),
            size: 3,
            sha256: "ab".repeat(32),
            content: Some(b"x=1".to_vec()),
        }];
        app.store
            .take_mail(
                &IncomingMail {
                    message_id: "search-1@elsewhere.example",
                    raw: b"From: eve@elsewhere.example\r\n\r\nthe proof of concept is attached\r\n",
                    disposition: "held",
                    received_at: Timestamp::now(),
                    attachments: &attachments,
                    headers: None,
                    released_from: None,
                },
                MailEffect::Apply(&change),
            )
            .await
            .expect("take mail");
        assert_eq!(
            found(&app, &app.member_a, "wallaby", "").await,
            vec![id.clone()],
            "{b}"
        );
        assert_eq!(
            found(&app, &app.member_a, r#""wallaby exploit py""#, "").await,
            vec![id],
            "{b}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn search_finds_only_reports_the_member_may_see() {
    for app in apps().await {
        let b = app.backend;
        let (beta, _) = submit(
            &app,
            "beta",
            "Frobnicator bypass",
            "The frobnicator skips the signature check.",
            "r@example.org",
        )
        .await;
        // Alice handles alpha only: nothing, even when she names beta or the id.
        assert!(
            found(&app, &app.member_a, "frobnicator", "")
                .await
                .is_empty(),
            "{b}"
        );
        assert!(
            found(&app, &app.member_a, &beta, "").await.is_empty(),
            "{b}"
        );
        let (status, body) = search(&app, &app.member_a, "frobnicator", "project=beta").await;
        assert!(
            status == StatusCode::OK && ids(&body).is_empty() || status == StatusCode::BAD_REQUEST,
            "{b}: {status} {body}"
        );
        // A member of two projects (a list merged from each project's slice) finds
        // both projects' reports, still not beta's.
        app.store
            .upsert_project(&ProjectInput {
                slug: ProjectSlug::parse("gamma").expect("slug"),
                name: "Example Gamma".into(),
                security_email: None,
                users_list: None,
                security_model_url: None,
                team: vec![email(MEMBER_A)],
                policy: PolicyOverrides::default(),
                trusted: false,
            })
            .await
            .expect("gamma");
        let (alpha, _) = submit(
            &app,
            "alpha",
            "Frobnicator crash",
            "Crash.",
            "r@example.org",
        )
        .await;
        let (gamma, _) = submit(&app, "gamma", "Frobnicator leak", "Leak.", "r@example.org").await;
        assert_eq!(
            found(&app, &app.member_a, "frobnicator", "").await,
            sorted(vec![alpha.clone(), gamma.clone()]),
            "{b}"
        );
        assert_eq!(
            found(&app, &app.member_a, "frobnicator leak", "").await,
            vec![gamma.clone()],
            "{b}"
        );
        // The dashboard's search box: the same search, kept in the page's URL and box.
        let alice = app.login(MEMBER_A).await;
        let page = page_text(&alice, app.url("/dashboard?q=frobnicator+leak")).await;
        assert!(
            page.contains(&gamma) && !page.contains(&alpha),
            "{b}: {page}"
        );
        assert!(
            page.contains(r#"value="frobnicator leak""#),
            "{b}: the box keeps it"
        );
        // Bob (beta) and the organisation team find it.
        assert_eq!(
            found(&app, &app.member_b, "frobnicator", "").await,
            vec![beta.clone()],
            "{b}"
        );
        assert_eq!(
            found(&app, &app.admin, "frobnicator", "").await,
            sorted(vec![beta.clone(), alpha, gamma]),
            "{b}"
        );
        // Without a token: no list at all.
        let res = app
            .http
            .get(app.url("/api/v1/reports?q=frobnicator"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_queries_are_refused_with_their_reason() {
    for app in apps().await {
        let b = app.backend;
        let long = "overflow ".repeat(30);
        for (q, why) in [
            (long.as_str(), "at most 200"),
            ("CVE-20", r#""CVE-20" is too short to search ids by"#),
            ("the", r#""the" is too common to search for"#),
            (
                "one two three four five six seven eight nine",
                "asks for 9 terms",
            ),
        ] {
            let (status, body) = search(&app, &app.member_a, q, "").await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: q={q}: {body}");
            // The message, whether the answer is JSON or text.
            let text = match &body {
                Value::String(s) => s.clone(),
                other => other["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            };
            assert!(text.contains(why), "{b}: q={q}: {body}");
        }
        // A blank search is no search.
        let (id, _) = submit(&app, "alpha", "Anything", "Some text.", "a@example.org").await;
        assert_eq!(found(&app, &app.member_a, "  ", "").await, vec![id], "{b}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reports_stored_before_the_index_become_searchable() {
    for app in apps().await {
        let b = app.backend;
        let (old, _) = submit(
            &app,
            "alpha",
            "Platypus overflow",
            "In the platypus.",
            "a@example.org",
        )
        .await;
        // As if stored before migration 0014: no terms, and a backfill not yet run.
        let pool = app.store.pool();
        for sql in [
            "DELETE FROM search_terms",
            "DELETE FROM search_reports",
            "UPDATE search_backfill SET after_id = '', done = 0",
        ] {
            sqlx::query(sql).execute(pool).await.expect(sql);
        }
        assert!(
            found(&app, &app.member_a, "platypus", "").await.is_empty(),
            "{b}"
        );
        // The backfill runs in batches until done; then a run does nothing.
        while app.store.backfill_search(1).await.expect("backfill") > 0 {}
        assert_eq!(app.store.backfill_search(1).await.expect("again"), 0, "{b}");
        assert_eq!(
            found(&app, &app.member_a, "platypus", "").await,
            vec![old.clone()],
            "{b}"
        );
        // A change to a report is indexed as usual afterwards.
        let (status, body) = app
            .post_json(
                &format!("/api/v1/reports/{old}/messages"),
                Some(&app.member_a),
                &json!({"kind": "note", "body": "Echidna variant too."}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {body}");
        assert_eq!(
            found(&app, &app.member_a, "echidna platypus", "").await,
            vec![old],
            "{b}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_canary_is_found_but_never_stored_in_clear() {
    const CANARY: &str = "zqxcanarytoken";
    for app in apps().await {
        let b = app.backend;
        let (id, _) = submit(
            &app,
            "alpha",
            &format!("Secret {CANARY}title leak"),
            &format!("The {CANARY}body service leaks {CANARY}phrase tokens to anyone."),
            &format!("{CANARY}@example.org"),
        )
        .await;
        let (status, body) = app
            .post_json(
                &format!("/api/v1/reports/{id}/messages"),
                Some(&app.member_a),
                &json!({"kind": "note", "body": format!("Confirmed: {CANARY}note.")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}: {body}");
        for q in [
            format!("{CANARY}title"),
            format!("\"{CANARY}phrase tokens\""),
            format!("{CANARY}@example.org"),
            format!("{CANARY}note"),
        ] {
            assert_eq!(
                found(&app, &app.member_a, &q, "").await,
                vec![id.clone()],
                "{b}: {q}"
            );
        }
        let pool = app.store.pool();
        let needles = [CANARY.as_bytes().to_vec(), hex::encode(CANARY).into_bytes()];
        if b == "sqlite" {
            // Every byte SQLite wrote: the database file and its write-ahead log.
            let row = sqlx::query("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(pool)
                .await
                .expect("database file");
            let path: String = sqlx::Row::try_get(&row, "file").expect("file");
            let mut bytes = Vec::new();
            for suffix in ["", "-wal"] {
                if let Ok(b) = std::fs::read(format!("{path}{suffix}")) {
                    bytes.extend(b);
                }
            }
            assert!(bytes.len() > 10_000, "{b}: read the database");
            for n in &needles {
                assert!(
                    !contains(&bytes, n),
                    "{b}: the canary is in the file in clear"
                );
            }
        } else {
            // Every row of every table, as text (byte columns in hex).
            let tables = sqlx::query(
                "SELECT table_name::text AS t FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            )
            .fetch_all(pool)
            .await
            .expect("tables");
            assert!(tables.len() > 10, "{b}");
            for t in tables {
                let table: String = sqlx::Row::try_get(&t, "t").expect("name");
                let rows = sqlx::query(&format!("SELECT x::text AS v FROM \"{table}\" x"))
                    .fetch_all(pool)
                    .await
                    .expect("rows");
                for row in rows {
                    let v: String = sqlx::Row::try_get(&row, "v").expect("text");
                    let v = v.to_lowercase();
                    for n in &needles {
                        let n = String::from_utf8_lossy(n).to_lowercase();
                        assert!(!v.contains(&n), "{b}: the canary is in {table} in clear");
                    }
                }
            }
            // The term table holds numbers and the report's id only.
            let columns = sqlx::query(
                "SELECT column_name::text AS c, data_type::text AS d FROM information_schema.columns \
                 WHERE table_name = 'search_terms' ORDER BY column_name",
            )
            .fetch_all(pool)
            .await
            .expect("columns");
            let columns: Vec<(String, String)> = columns
                .iter()
                .map(|r| {
                    (
                        sqlx::Row::try_get(r, "c").expect("c"),
                        sqlx::Row::try_get(r, "d").expect("d"),
                    )
                })
                .collect();
            assert_eq!(
                columns,
                [
                    ("received_at".to_string(), "bigint".to_string()),
                    ("report_id".into(), "text".into()),
                    ("term".into(), "bigint".into()),
                ],
                "{b}"
            );
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
