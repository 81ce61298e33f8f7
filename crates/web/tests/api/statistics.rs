//! Statistics on both backends: counts by month, channel and class, outcomes, median
//! and 90th-percentile times, open and overdue now; a member sees only their projects
//! and is refused another's by name; the CSV says what the JSON says; the page draws
//! one bar per month with reports; strangers are sent away; and reports stored before
//! the timeline existed are completed by the backfill.

use std::collections::BTreeSet;

use embargo_store::Timeline;
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{MEMBER_A, TestApp, apps, date_in};

const HOUR_MICROS: i64 = 3_600_000_000;

async fn stats(app: &TestApp, query: &str, token: &str) -> Value {
    let (status, v) = app
        .get_json(&format!("/api/v1/statistics{query}"), Some(token))
        .await;
    assert_eq!(status, StatusCode::OK, "{}: {query}: {v}", app.backend);
    v
}

async fn sql(app: &TestApp, statement: &str, id: &str, value: i64) {
    sqlx::query(statement)
        .bind(value)
        .bind(id)
        .execute(app.store.pool())
        .await
        .expect("update");
}

/// The months (UTC) the timeline rows of `ids` fall in.
async fn months_of(app: &TestApp, ids: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for id in ids {
        let micros: i64 = sqlx::Row::get(
            &sqlx::query("SELECT received_at FROM report_timeline WHERE report_id = $1")
                .bind(*id)
                .fetch_one(app.store.pool())
                .await
                .expect("row"),
            "received_at",
        );
        let t = Timestamp::from_microsecond(micros).expect("time");
        out.insert(embargo_domain::stats::month_of(t));
    }
    out
}

fn months_with_reports(figures: &Value) -> BTreeSet<String> {
    figures["months"]
        .as_array()
        .expect("months")
        .iter()
        .filter(|m| m["figures"]["received"].as_u64() > Some(0))
        .map(|m| m["month"].as_str().expect("month").to_string())
        .collect()
}

/// Three alpha reports (one accepted ten hours after it came, one rejected at once,
/// one open, from five weeks ago, and overdue) and one open beta report.
async fn seed(app: &TestApp) -> [String; 4] {
    let (accepted, _) = app.submit("Stats accepted", Some("alpha")).await;
    let (rejected, _) = app.submit("Stats rejected", Some("alpha")).await;
    let (open, _) = app.submit("Stats open", Some("alpha")).await;
    let (beta, _) = app.submit("Stats beta", Some("beta")).await;
    for body in [
        json!({"to": "acknowledged", "message": "Thanks, we are looking."}),
        json!({"to": "accepted", "disclosure_date": date_in(30)}),
    ] {
        let (status, v) = app.transition(&app.admin, &accepted, body).await;
        assert_eq!(status, StatusCode::OK, "{}: {v}", app.backend);
    }
    let (status, v) = app
        .transition(
            &app.admin,
            &rejected,
            json!({"to": "rejected", "reason": "Works as documented."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}: {v}", app.backend);
    // Time passes: the accepted report came ten hours before it was answered, the open
    // one five weeks ago, and its deadline is behind it.
    let shift = "UPDATE report_timeline SET received_at = received_at - $1 WHERE report_id = $2";
    sql(app, shift, &accepted, 10 * HOUR_MICROS).await;
    sql(app, shift, &open, 35 * 24 * HOUR_MICROS).await;
    sql(
        app,
        "UPDATE reports SET next_due = $1 WHERE id = $2",
        &open,
        1,
    )
    .await;
    [accepted, rejected, open, beta]
}

#[tokio::test(flavor = "multi_thread")]
async fn figures_for_the_projects_a_member_handles() {
    for app in apps().await {
        let b = app.backend;
        let [accepted, rejected, open, _beta] = seed(&app).await;

        let v = stats(&app, "", &app.member_a).await;
        assert_eq!(v["organisation"], false, "{b}");
        let slugs: Vec<&str> = v["projects"]
            .as_array()
            .expect("projects")
            .iter()
            .map(|p| p["project"].as_str().unwrap_or("-"))
            .collect();
        assert_eq!(slugs, ["alpha"], "{b}: nothing of beta");
        let t = &v["total"]["total"];
        assert_eq!(t["received"], 3, "{b}: {t}");
        assert_eq!(
            t["by_channel"],
            json!({"api": 3, "email": 0, "web": 0}),
            "{b}"
        );
        let classes: u64 = t["by_class"]
            .as_object()
            .expect("classes")
            .values()
            .filter_map(Value::as_u64)
            .sum();
        assert_eq!(classes, 3, "{b}: every report has one class");
        assert_eq!(
            (&t["accepted"], &t["rejected"], &t["open"]),
            (&json!(1), &json!(1), &json!(1)),
            "{b}"
        );
        assert_eq!(
            (&v["open_now"], &v["overdue_now"]),
            (&json!(2), &json!(1)),
            "{b}"
        );
        let ack = &t["times"]["acknowledge"];
        assert_eq!(ack["count"], 1, "{b}");
        let median = ack["median_seconds"].as_i64().expect("median");
        assert!(
            (36_000..36_120).contains(&median),
            "{b}: ten hours, not {median}"
        );
        // Two decisions: the rejection at once, the acceptance after ten hours; the
        // median is the lower of the two (nearest rank), the 90th percentile the upper.
        let decide = &t["times"]["decide"];
        assert_eq!(decide["count"], 2, "{b}");
        assert!(
            decide["median_seconds"].as_i64() < Some(120),
            "{b}: {decide}"
        );
        assert!(
            decide["p90_seconds"].as_i64() >= Some(36_000),
            "{b}: {decide}"
        );
        assert_eq!(
            t["deadlines"]["acknowledge"],
            json!({"due": 1, "met": 1, "percent": 100.0}),
            "{b}"
        );
        assert_eq!(
            months_with_reports(&v["total"]),
            months_of(&app, &[&accepted, &rejected, &open]).await,
            "{b}: the months with reports"
        );

        // Beta's member sees beta alone; the organisation team sees both, and in total.
        let v = stats(&app, "", &app.member_b).await;
        assert_eq!(v["total"]["total"]["received"], 1, "{b}");
        assert_eq!(v["projects"][0]["project"], "beta", "{b}");
        assert_eq!(v["projects"].as_array().map(Vec::len), Some(1), "{b}");
        let v = stats(&app, "", &app.admin).await;
        assert_eq!(v["organisation"], true, "{b}");
        assert_eq!(v["total"]["total"]["received"], 4, "{b}");
        let v = stats(&app, "?project=alpha", &app.admin).await;
        assert_eq!(
            (&v["organisation"], &v["project"]),
            (&json!(false), &json!("alpha"))
        );
        assert_eq!(v["total"]["total"]["received"], 3, "{b}");

        // The yearly report of this year.
        let year = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).year();
        let v = stats(&app, &format!("?year={year}"), &app.member_a).await;
        assert_eq!(v["year"]["year"], year, "{b}");
        assert_eq!(v["period"]["from"], format!("{year}-01-01"), "{b}");
        let first = v["year"]["sentences"][0].as_str().unwrap_or_default();
        assert!(
            first.starts_with(&format!("In {year} the security teams received")),
            "{b}: {first}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_project_strangers_and_bad_input_are_refused() {
    for app in apps().await {
        let b = app.backend;
        seed(&app).await;
        let (status, v) = app
            .get_json("/api/v1/statistics?project=beta", Some(&app.member_a))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{b}: {v}");
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("beta"), "{b}: {message}");
        assert!(
            !v.to_string().contains("\"received\""),
            "{b}: no figures in {v}"
        );

        let (status, _) = app.get_json("/api/v1/statistics", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{b}");
        for path in ["/statistics", "/statistics.csv"] {
            let res = app.http.get(app.url(path)).send().await.expect("get");
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{b}: {path}");
            assert_eq!(res.headers()["location"], "/login", "{b}: {path}");
        }

        for (query, field, says) in [
            ("?year=soon", "year", "is not a whole number"),
            ("?year=1999", "year", "1999 is not a year with figures"),
            ("?months=0", "months", "from 1 to 60"),
            ("?months=61", "months", "from 1 to 60"),
            (
                "?year=2025&months=3",
                "months",
                "either a year or a number of months",
            ),
            ("?project=nope", "project", "there is no project"),
        ] {
            let (status, v) = app
                .get_json(&format!("/api/v1/statistics{query}"), Some(&app.member_a))
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{b}: {query}: {v}");
            let message = v["error"]["message"].as_str().unwrap_or_default();
            assert!(
                message.contains(field) && message.contains(says),
                "{b}: {query}: {message}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_csv_matches_the_json_and_the_page_draws_the_months() {
    for app in apps().await {
        let b = app.backend;
        seed(&app).await;
        let json = stats(&app, "", &app.member_a).await;
        let browser = app.login(MEMBER_A).await;

        let res = browser
            .get(app.url("/statistics.csv"))
            .send()
            .await
            .expect("csv");
        assert_eq!(res.status(), StatusCode::OK, "{b}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap_or("")
                .starts_with("text/csv")
        );
        let csv = res.text().await.expect("body");
        let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
        let header: Vec<&str> = lines.next().expect("header").split(',').collect();
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert!(rows.iter().all(|r| r.len() == header.len()), "{b}: {csv}");
        assert!(
            rows.iter().all(|r| r[0] == "alpha"),
            "{b}: only alpha: {csv}"
        );
        let col = |row: &Vec<&str>, name: &str| -> String {
            let i = header.iter().position(|h| *h == name).expect(name);
            row[i].to_string()
        };
        let total = rows.iter().find(|r| r[1] == "total").expect("total row");
        let t = &json["projects"][0]["figures"]["total"];
        for (name, value) in [
            ("received", &t["received"]),
            ("api", &t["by_channel"]["api"]),
            ("accepted", &t["accepted"]),
            ("rejected", &t["rejected"]),
            (
                "acknowledge_median_s",
                &t["times"]["acknowledge"]["median_seconds"],
            ),
            ("decide_p90_s", &t["times"]["decide"]["p90_seconds"]),
            ("open_now", &json["projects"][0]["open_now"]),
            ("overdue_now", &json["projects"][0]["overdue_now"]),
        ] {
            assert_eq!(col(total, name), value.to_string(), "{b}: {name}");
        }
        let months: Vec<&Value> = json["projects"][0]["figures"]["months"]
            .as_array()
            .expect("months")
            .iter()
            .collect();
        assert_eq!(
            rows.len(),
            months.len() + 1,
            "{b}: a row per month and the total"
        );
        for (row, m) in rows.iter().zip(&months) {
            assert_eq!(row[1], m["month"].as_str().unwrap_or_default(), "{b}");
            assert_eq!(
                col(row, "received"),
                m["figures"]["received"].to_string(),
                "{b}"
            );
        }

        let res = browser
            .get(app.url("/statistics"))
            .send()
            .await
            .expect("page");
        assert_eq!(res.status(), StatusCode::OK, "{b}");
        let html = res.text().await.expect("page");
        let start = html
            .find(r#"<svg class="chart" id="chart-channel""#)
            .expect("chart");
        let chart = &html[start..start + html[start..].find("</svg>").expect("end")];
        assert!(
            chart.contains("viewBox=") && chart.contains("<title id="),
            "{b}"
        );
        assert_eq!(
            chart.matches(r#"<g class="bar""#).count(),
            months_with_reports(&json["total"]).len(),
            "{b}: one bar per month with reports"
        );
        assert!(
            html.contains(r#"id="statistics-nav""#),
            "{b}: in the team nav"
        );
        assert!(html.contains(r#"href="/statistics.csv""#), "{b}");
        assert!(
            !html.contains("Stats accepted"),
            "{b}: no titles on the page"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_backfill_completes_timelines_from_before() {
    for app in apps().await {
        let b = app.backend;
        let [_accepted, rejected, ..] = seed(&app).await;
        // As migration 0015 left them: the clear columns only.
        sqlx::query(
            "UPDATE report_timeline SET acknowledged_at = NULL, decided_at = NULL, \
             acknowledge_due = NULL, decide_due = NULL, announce_due = NULL, complete = 0",
        )
        .execute(app.store.pool())
        .await
        .expect("reset");
        let before = stats(&app, "", &app.admin).await;
        assert_eq!(before["incomplete"], 4, "{b}");
        assert_eq!(
            before["total"]["total"]["times"]["decide"]["count"], 0,
            "{b}"
        );
        assert_eq!(
            before["total"]["total"]["received"], 4,
            "{b}: still counted"
        );

        assert_eq!(
            app.store.backfill_timeline(3).await.expect("batch"),
            3,
            "{b}"
        );
        assert_eq!(
            app.store.backfill_timeline(3).await.expect("batch"),
            1,
            "{b}"
        );
        assert_eq!(
            app.store.backfill_timeline(3).await.expect("batch"),
            0,
            "{b}: done"
        );

        let after = stats(&app, "", &app.admin).await;
        assert_eq!(after["incomplete"], 0, "{b}");
        let t = &after["total"]["total"];
        assert_eq!(t["times"]["acknowledge"]["count"], 1, "{b}");
        // The rejection's time comes from the audit log: the report keeps none.
        assert_eq!(t["times"]["decide"]["count"], 2, "{b}: {t}");
        assert_eq!(t["deadlines"]["acknowledge"]["due"], 1, "{b}");
        // A change stored after the backfill keeps the rejection's time.
        let (status, _) = app
            .post_json(
                &format!("/api/v1/reports/{rejected}/messages"),
                Some(&app.admin),
                &json!({"kind": "note", "body": "Closed for good."}),
            )
            .await;
        assert!(status.is_success(), "{b}: {status}");
        let again = stats(&app, "", &app.admin).await;
        assert_eq!(
            again["total"]["total"]["times"]["decide"], t["times"]["decide"],
            "{b}"
        );
    }
}
