//! A report's CVE id at rest (migration 0020, docs/confidentiality.md): a copy of the
//! database does not say which CVE id an unannounced report holds, nor the pool which
//! report an id went to or when, while the pool still hands out ids, a taken id is
//! still refused, and the lists' CVE filter and column still work. Reports stored
//! with the id in clear are converted when the store opens.

use embargo_domain::ids::CveId;
use embargo_store::test_support::{backends, fresh_database_url};
use embargo_store::{Cves, Sealer, SqlStore};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row;

use crate::support::{ADMIN, TestApp, page_text, spawn_app};

const KEY: [u8; 32] = [9; 32];
/// Every id of the test's pool starts so; none may be found outside the pool.
const PREFIX: &str = "CVE-2026-5200";

/// An app per backend on a store opened with [`KEY`], and its database URL.
async fn apps_with_url() -> Vec<(TestApp, String)> {
    let mut apps = Vec::new();
    for backend in backends() {
        if let Some((url, db)) = fresh_database_url(backend).await {
            let store = SqlStore::connect(&url, Sealer::from_key(&KEY))
                .await
                .expect("open");
            apps.push((spawn_app(backend.name(), store, db).await, url));
        }
    }
    apps
}

/// The ids and CVE ids of the API list with `query`, as the admin sees it.
async fn listed(app: &TestApp, query: &str) -> Vec<(String, String)> {
    let (status, list) = app
        .get_json(&format!("/api/v1/reports?{query}"), Some(&app.admin))
        .await;
    assert_eq!(status, StatusCode::OK, "{}: {list}", app.backend);
    let mut rows: Vec<(String, String)> = list["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .map(|r| {
            let cve = r["cve"].as_str().unwrap_or_default().to_string();
            (r["id"].as_str().expect("id").to_string(), cve)
        })
        .collect();
    rows.sort();
    rows
}

/// Every row of every table but the pool, as lowercase text (bytes in hex).
async fn every_row_but_the_pool(app: &TestApp) -> Vec<(String, String)> {
    let pool = app.store.pool();
    let sqlite = app.backend == "sqlite";
    let tables_sql = if sqlite {
        "SELECT name AS t FROM sqlite_master WHERE type = 'table'"
    } else {
        "SELECT table_name::text AS t FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    };
    let tables = sqlx::query(tables_sql)
        .fetch_all(pool)
        .await
        .expect("tables");
    assert!(tables.len() > 10, "{}", app.backend);
    let mut out = Vec::new();
    for t in tables {
        let table: String = t.try_get("t").expect("name");
        if table == "cve_pool" {
            continue;
        }
        let row_text = if sqlite {
            let columns = sqlx::query(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(pool)
                .await
                .expect("columns");
            let parts: Vec<String> = columns
                .iter()
                .map(|c| format!("quote(\"{}\")", c.try_get::<String, _>("name").expect("c")))
                .collect();
            format!("SELECT {} AS v FROM \"{table}\"", parts.join(" || ',' || "))
        } else {
            format!("SELECT x::text AS v FROM \"{table}\" x")
        };
        for row in sqlx::query(&row_text).fetch_all(pool).await.expect("rows") {
            let v: Option<String> = row.try_get("v").expect("text");
            out.push((table.clone(), v.unwrap_or_default().to_lowercase()));
        }
    }
    out
}

/// No table but the pool holds a pool id, in clear or as hex in a byte column; the
/// pool holds no report and no time.
async fn assert_no_cve_in_clear(app: &TestApp) {
    let b = app.backend;
    let needles = [PREFIX.to_lowercase(), hex::encode(PREFIX)];
    for (table, row) in every_row_but_the_pool(app).await {
        for n in &needles {
            assert!(!row.contains(n), "{b}: a CVE id in clear in {table}: {row}");
        }
    }
    let linked = sqlx::query(
        "SELECT COUNT(*) AS n FROM cve_pool WHERE report_id IS NOT NULL OR assigned_at IS NOT NULL",
    )
    .fetch_one(app.store.pool())
    .await
    .expect("pool");
    assert_eq!(linked.try_get::<i64, _>("n").expect("n"), 0, "{b}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cve_ids_of_unannounced_reports_are_not_in_clear_at_rest() {
    for (app, url) in apps_with_url().await {
        let b = app.backend;
        let ids: Vec<CveId> = ["CVE-2026-52001", "CVE-2026-52002", "CVE-2026-52003"]
            .iter()
            .map(|c| CveId::parse(c).expect("cve"))
            .collect();
        app.store.add_to_pool(&ids).await.expect("pool");
        let (first, _) = app.submit("Leak in the handler", Some("alpha")).await;
        app.walk_to(&first, "cve_assigned", "CVE-2026-52002").await;

        // The same id for another report is refused, with its reason; the next
        // free one is given instead.
        let (second, _) = app.submit("Another leak", Some("alpha")).await;
        app.walk_to(&second, "cve_requested", "").await;
        let (status, body) = app
            .transition(
                &app.admin,
                &second,
                json!({"to": "cve_assigned", "cve": "CVE-2026-52002"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}: {body}");
        assert!(body.to_string().contains("CVE-2026-52002"), "{b}: {body}");
        let (status, body) = app
            .transition(&app.admin, &second, json!({"to": "cve_assigned"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{b}: {body}");
        assert_eq!(body["cve"], "CVE-2026-52001", "{b}: the lowest free id");
        let stats = app.store.pool_stats().await.expect("stats");
        assert_eq!((stats.free, stats.assigned), (1, 2), "{b}");

        // The lists: the filter and the CVE column.
        let (third, _) = app.submit("No CVE yet", Some("alpha")).await;
        let mut with_cve = vec![
            (first.clone(), "CVE-2026-52002".to_string()),
            (second.clone(), "CVE-2026-52001".to_string()),
        ];
        with_cve.sort();
        assert_eq!(listed(&app, "cve=assigned").await, with_cve, "{b}");
        assert_eq!(
            listed(&app, "cve=none").await,
            vec![(third.clone(), String::new())],
            "{b}"
        );
        let team = app.login(ADMIN).await;
        let dashboard = page_text(&team, app.url("/dashboard?cve=assigned")).await;
        assert!(dashboard.contains("CVE-2026-52002"), "{b}: {dashboard}");
        assert!(!dashboard.contains(&third), "{b}");

        assert_no_cve_in_clear(&app).await;

        // A report stored before 0020, with its id in clear, reads as before and is
        // converted when the store opens again.
        sqlx::query(
            "UPDATE reports SET cve_id = 'CVE-2026-52002', cve_sealed = NULL WHERE id = $1",
        )
        .bind(&first)
        .execute(app.store.pool())
        .await
        .expect("legacy row");
        assert_eq!(listed(&app, "cve=assigned").await, with_cve, "{b}");
        // (The scan sees an id in clear where there is one.)
        let needle = PREFIX.to_lowercase();
        assert!(
            every_row_but_the_pool(&app)
                .await
                .iter()
                .any(|(table, row)| table == "reports" && row.contains(&needle)),
            "{b}: the scan reads the reports"
        );
        let reopened = SqlStore::connect(&url, Sealer::from_key(&KEY))
            .await
            .expect("reopen");
        reopened.close().await;
        assert_no_cve_in_clear(&app).await;
        assert_eq!(listed(&app, "cve=assigned").await, with_cve, "{b}");
        let converted: String = sqlx::query("SELECT cve_id FROM reports WHERE id = $1")
            .bind(&first)
            .fetch_one(app.store.pool())
            .await
            .expect("row")
            .try_get("cve_id")
            .expect("cve_id");
        assert!(
            converted.len() == 32 && converted.chars().all(|c| c.is_ascii_hexdigit()),
            "{b}: a keyed digest, not the id: {converted}"
        );
    }
}
