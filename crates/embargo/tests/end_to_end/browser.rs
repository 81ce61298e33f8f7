//! The whole story in a real browser (headless chromium through chromedriver): a reporter
//! fills the public form, a team member logs in and walks the report through the lifecycle
//! to an announcement, and the public pages show the advisory — while before the
//! announcement a canary title is absent from every public page.
//!
//! Runs on SQLite always, and also on PostgreSQL when `EMBARGO_TEST_POSTGRES` holds a server
//! URL (e.g. `postgres://postgres:postgres@127.0.0.1:5432/postgres`); a fresh database is
//! created for the run and dropped after it. Without chromium/chromedriver the test says
//! `SKIPPED` and passes, except under `CI=true`, where nothing may be skipped.
//!
//! Screenshots of the report page and the public advisory land in `CARGO_TARGET_TMPDIR`
//! (printed at the end of the run).
#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use embargo_store::test_support::TestBackend;
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::support::*;

const ADMIN_EMAIL: &str = "cna-admin@example.org";
const ADMIN_PASSWORD: &str = "browser-test correct horse battery staple";
const SLUG: &str = "widget";
const PROJECT_NAME: &str = "Apache Widget";
const PRODUCT: &str = "Apache Widget";
const CVE: &str = "CVE-2026-10000";
const AFFECTED_1: &str = "3.0.0 before 3.7.1";
const AFFECTED_2: &str = "4.0.0 before 4.0.2";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_to_advisory_in_the_browser_on_sqlite() {
    run_story("browser test", TestBackend::Sqlite, |t, b| async move {
        story(&t, b).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_to_advisory_in_the_browser_on_postgres() {
    run_story("browser test", TestBackend::Postgres, |t, b| async move {
        story(&t, b).await
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// The story
// ---------------------------------------------------------------------------------------

struct Story {
    label: &'static str,
    base: String,
    started: Instant,
    http: reqwest::Client,
}

impl Story {
    fn step(&self, what: &str) {
        println!(
            "[browser {} {:>6.1}s] {what}",
            self.label,
            self.started.elapsed().as_secs_f64()
        );
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

async fn story(tools: &BrowserTools, backend: Backend) {
    let started = Instant::now();
    let label = backend.label();
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();

    // --- The server, its projects and its CVE pool ------------------------------------
    // The public URL must be the server's real address (the test follows the links it
    // writes) and is read before it binds: a port reserved here (a race; see
    // `unbound_port`).
    let port = embargo_testkit::unbound_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut db_args: Vec<String> = vec!["--data-dir".into(), data_dir.display().to_string()];
    if let Backend::Postgres(url) = &backend {
        db_args.push("--database-url".into());
        db_args.push(url.clone());
    }
    let env = [
        ("EMBARGO_ADMIN_EMAIL", ADMIN_EMAIL.to_string()),
        ("EMBARGO_ADMIN_PASSWORD", ADMIN_PASSWORD.to_string()),
        (
            "EMBARGO_ORG_NAME",
            "The Example Software Foundation".to_string(),
        ),
        (
            "EMBARGO_ORG_SECURITY_EMAIL",
            "security@example.org".to_string(),
        ),
        ("EMBARGO_BASE_URL", base.clone()),
    ];
    let http = reqwest::Client::builder()
        .timeout(WAIT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let s = Story {
        label,
        base: base.clone(),
        started,
        http,
    };

    s.step("starting embargo serve");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_embargo"));
    serve
        .arg("serve")
        .args(&db_args)
        .args(["--listen", &format!("127.0.0.1:{port}")]);
    for (k, v) in &env {
        serve.env(k, v);
    }
    let mut server = Proc::spawn("embargo serve", serve, &tmp.path().join("serve.log"), false);
    wait_until_ok(&s.http, &s.url("/healthz"), START, &mut server).await;

    let projects = tmp.path().join("projects.toml");
    std::fs::write(&projects, projects_toml()).unwrap();
    s.step("importing projects and loading the CVE pool");
    run_cli(
        &["projects", "import", &projects.display().to_string()],
        &db_args,
        &env,
        tmp.path(),
    );
    run_cli(
        &["cve", "pool", "add", "CVE-2026-10000..CVE-2026-10099"],
        &db_args,
        &env,
        tmp.path(),
    );

    // --- Two browsers: the reporter's and the team member's ----------------------------
    s.step("starting chromedriver and two headless chromium sessions");
    let (driver, driver_url) = start_chromedriver(tools, tmp.path(), &s.http).await;
    let reporter = browser(
        &driver_url,
        &tools.chromium,
        &tmp.path().join("reporter-profile"),
        1400,
    )
    .await;
    let team = browser(
        &driver_url,
        &tools.chromium,
        &tmp.path().join("team-profile"),
        1400,
    )
    .await;

    let hex = random_hex();
    let canary = format!("Canary-{hex} deserialization in the REST API");
    let canary_token = format!("Canary-{hex}");
    let desc_token = format!("DescCanary-{hex}");

    // --- 1. The reporter files a report through the public form ------------------------
    s.step("reporter: filing the report through /report");
    reporter.goto(&s.url("/report")).await.unwrap();
    let form = wait_for(&reporter, "form#report-form").await;
    assert_eq!(
        form.attr("method")
            .await
            .unwrap()
            .map(|m| m.to_ascii_lowercase()),
        Some("post".into()),
        "the report form must post"
    );
    let project = form
        .find(Locator::Css("select[name=project]"))
        .await
        .unwrap();
    let first = project.find(Locator::Css("option")).await.unwrap();
    assert_eq!(first.attr("value").await.unwrap().as_deref(), Some(""));
    assert_eq!(first.text().await.unwrap().trim(), "I don't know");
    project.select_by_value(SLUG).await.unwrap();
    type_in(&form, "title", &canary).await;
    type_in(
        &form,
        "description",
        &format!(
            "The REST API of Apache Widget deserializes request bodies with a polymorphic type \
             handler, so a crafted JSON document instantiates arbitrary classes.\n\
             Reproducer attached inline below. Marker: {desc_token}."
        ),
    )
    .await;
    type_in(
        &form,
        "affected_versions",
        "3.0.0 up to 3.7.0, 4.0.0 and 4.0.1",
    )
    .await;
    type_in(&form, "reporter_name", "Ann Researcher").await;
    type_in(&form, "reporter_email", "ann@researcher.example").await;
    type_in(&form, "credit", "Ann Researcher").await;
    let submit = form
        .find(Locator::Css("button#submit-report"))
        .await
        .unwrap();
    press(&reporter, &submit).await;

    let link = wait_for(&reporter, "a#status-link").await;
    let status_url = absolute(&base, &link.attr("href").await.unwrap().unwrap());
    let receipt_text = body_text(&reporter).await;
    let receipt_id = find_report_id(&receipt_text);
    s.step(&format!(
        "reporter: receipt shows status link {status_url} (id on receipt: {receipt_id:?})"
    ));
    link.click().await.unwrap();
    wait_state(&reporter, "received").await;
    let status_text = body_text(&reporter).await;
    assert!(
        status_text.contains(&canary),
        "the reporter's status page should show their report's title"
    );
    wait_for(&reporter, "ol#messages").await;
    wait_for(&reporter, "form#reply-form").await;

    // --- 2. Nothing of it is public -------------------------------------------------------
    s.step("public pages: canary absent after intake");
    let mut secrets = vec![canary.clone(), canary_token.clone(), desc_token.clone()];
    if let Some(id) = &receipt_id {
        secrets.push(id.clone());
    }
    assert_nothing_public(&s, &secrets, None, &status_url).await;

    // --- 3. A team member logs in and finds it on the dashboard -------------------------
    s.step("team: logging in");
    team.goto(&s.url("/login")).await.unwrap();
    let login = wait_for(&team, "form#login-form").await;
    type_in(&login, "email", ADMIN_EMAIL).await;
    type_in(&login, "password", ADMIN_PASSWORD).await;
    let button = login.find(Locator::Css("button#login")).await.unwrap();
    press(&team, &button).await;
    wait_for(&team, "table#reports").await;
    assert_eq!(team.current_url().await.unwrap().path(), "/dashboard");

    let (row_class, report_link) = dashboard_row(&team, &canary).await;
    assert!(
        row_class.split_whitespace().any(|c| c == "received"),
        "the dashboard row should carry the state class received, has {row_class:?}"
    );
    let href = report_link.attr("href").await.unwrap().unwrap();
    let report_path = url_path(&href);
    let report_id = report_path
        .strip_prefix("/reports/")
        .unwrap_or_else(|| panic!("report link {href:?} is not /reports/{{id}}"))
        .to_string();
    assert!(!report_id.is_empty());
    if let Some(id) = &receipt_id {
        assert_eq!(
            id, &report_id,
            "the receipt and the dashboard disagree on the id"
        );
    }
    s.step(&format!("team: opening report {report_id}"));
    report_link.click().await.unwrap();
    wait_state(&team, "received").await;
    assert!(body_text(&team).await.contains(&canary));
    if !secrets.contains(&report_id) {
        secrets.push(report_id.clone());
    }

    // --- 4. Acknowledge, accept, request and assign a CVE -------------------------------
    s.step("team: acknowledging");
    transition(
        &team,
        "acknowledged",
        &[],
        &[(
            "message",
            "Thank you for your report. The Apache Widget security team is looking into it.",
        )],
    )
    .await;
    wait_state(&team, "acknowledged").await;

    let disclosure = date_in_days(14);
    s.step(&format!(
        "team: accepting with disclosure date {disclosure}"
    ));
    transition(
        &team,
        "accepted",
        &[("disclosure_date", &disclosure)],
        &[(
            "message",
            "We accept this as a vulnerability and are working on a fix.",
        )],
    )
    .await;
    wait_state(&team, "accepted").await;
    assert!(
        visible_errors(&team).await.is_empty(),
        "accepting left errors on the page"
    );

    s.step("team: requesting a CVE");
    transition(
        &team,
        "cve_requested",
        &[(
            "summary",
            "Deserialization of untrusted data in the Apache Widget REST API",
        )],
        &[],
    )
    .await;
    wait_state(&team, "cve_requested").await;

    s.step("team: assigning the next CVE id from the pool");
    transition(&team, "cve_assigned", &[("cve", "")], &[]).await;
    wait_state(&team, "cve_assigned").await;
    assert!(
        body_text(&team).await.contains(CVE),
        "the report page should show the assigned {CVE}"
    );

    // The CVE id is reserved now, and still nothing is public about it.
    s.step("public pages: canary and id absent after the CVE assignment");
    assert_nothing_public(&s, &secrets, Some(&report_id), &status_url).await;

    // --- 5. The draft cannot go out before the record is written -------------------------
    s.step("team: trying to send the draft before writing the record");
    let send_draft = r#"form.transition[data-to="reporter_review"]"#;
    if team.find(Locator::Css(send_draft)).await.is_ok() {
        transition(
            &team,
            "reporter_review",
            &[],
            &[("message", "Draft for you.")],
        )
        .await;
        wait_for(&team, "span#state").await;
        let errors = visible_errors(&team).await;
        assert!(
            !errors.is_empty(),
            "sending the draft without a record should show a p.error; {}",
            describe(&team).await
        );
        assert_eq!(state_of(&team).await.as_deref(), Some("cve_assigned"));
        s.step(&format!("team: refused as expected: {errors:?}"));
    } else {
        // The page may instead withhold the step until the record is complete; then it
        // must say why, visibly.
        let why = visible_texts(&team, "p.error, p.hint, #record-problem").await;
        assert!(
            why.iter().any(|t| t.to_ascii_lowercase().contains("record")
                || t.to_ascii_lowercase().contains("title")),
            "without a record the draft step is neither offered nor explained; {}",
            describe(&team).await
        );
        assert_eq!(state_of(&team).await.as_deref(), Some("cve_assigned"));
        println!(
            "CONTRACT NOTE: no {send_draft} before the record is written (the page explains: {why:?}), so \
             the refused attempt with a p.error could not be made"
        );
    }

    // --- 6. The record: a bad CWE first, then the right one --------------------------------
    s.step("team: writing the record with a malformed CWE");
    let record_title = canary.clone();
    let record = [
        ("title", record_title.as_str()),
        (
            "description",
            "Deserialization of Untrusted Data vulnerability in the REST API of Apache Widget.\n\
             A crafted request body lets an unauthenticated attacker run code on the server.",
        ),
        ("products[0].product", PRODUCT),
        (
            "products[0].versions",
            &format!("{AFFECTED_1}\n{AFFECTED_2}"),
        ),
        ("cwe", "502"),
        ("cwe_name", "Deserialization of Untrusted Data"),
        (
            "mitigation",
            "Users are recommended to upgrade to version 3.7.1 or 4.0.2, which fix the issue.",
        ),
        ("credits", "Ann Researcher (finder)"),
        (
            "references",
            "https://widget.example.org/security.html\nhttps://widget.example.org/download.html",
        ),
    ];
    let form = wait_for(&team, "form#record-form").await;
    for (name, value) in record {
        type_in(&form, name, value).await;
    }
    form.find(Locator::Css("select[name=severity]"))
        .await
        .unwrap()
        .select_by_value("important")
        .await
        .unwrap();
    let save = form.find(Locator::Css("button#save-record")).await.unwrap();
    press(&team, &save).await;
    let names_cwe = |texts: &[String]| texts.iter().any(|t| t.to_ascii_uppercase().contains("CWE"));
    let errors = visible_errors(&team).await;
    if names_cwe(&errors) {
        s.step(&format!("team: malformed CWE refused: {errors:?}"));
    } else {
        // The page may keep the record as a draft and flag what is wrong with it instead.
        let hints = visible_texts(&team, "p.hint, #record-problem").await;
        assert!(
            names_cwe(&hints),
            "a CWE of \"502\" should be flagged with a message naming the CWE; errors: {errors:?}, \
             hints: {hints:?}; {}",
            describe(&team).await
        );
        assert!(
            team.find(Locator::Css("pre#announcement-preview"))
                .await
                .is_err(),
            "an announcement preview is shown for a record with a malformed CWE"
        );
        println!(
            "CONTRACT NOTE: the malformed CWE is flagged as {hints:?} (p.hint / #record-problem), \
             not as a p.error; the record was saved as a draft"
        );
    }

    let form = wait_for(&team, "form#record-form").await;
    let kept = field_value(&form, "cwe").await;
    if kept.as_deref() == Some("502") {
        type_in(&form, "cwe", "CWE-502").await;
    } else {
        println!(
            "NOTE: the record form did not keep the typed values after an error (cwe is {kept:?}); typing them again"
        );
        for (name, value) in record {
            let value = if name == "cwe" { "CWE-502" } else { value };
            type_in(&form, name, value).await;
        }
        form.find(Locator::Css("select[name=severity]"))
            .await
            .unwrap()
            .select_by_value("important")
            .await
            .unwrap();
    }
    let save = form.find(Locator::Css("button#save-record")).await.unwrap();
    press(&team, &save).await;
    let errors = visible_errors(&team).await;
    assert!(
        errors.is_empty(),
        "the corrected record should save without errors, got {errors:?}"
    );
    let hints = visible_texts(&team, "p.hint, #record-problem").await;
    assert!(
        !names_cwe(&hints) && team.find(Locator::Css("#record-problem")).await.is_err(),
        "the corrected record is still flagged: {hints:?}"
    );
    let preview = wait_for(&team, "pre#announcement-preview").await;
    let preview = preview.text().await.unwrap();
    for expected in [
        format!("{CVE}: "),
        format!("- {PRODUCT} {AFFECTED_1}"),
        format!("- {PRODUCT} {AFFECTED_2}"),
        canary.clone(),
        "Ann Researcher (finder)".to_string(),
    ] {
        assert!(
            preview.contains(&expected),
            "the announcement preview lacks {expected:?}:\n{preview}"
        );
    }
    s.step("team: record saved, announcement preview is right");

    // --- 7. The reporter reviews the draft ---------------------------------------------
    s.step("team: sending the draft to the reporter");
    transition(
        &team,
        "reporter_review",
        &[],
        &[(
            "message",
            "Please review the draft announcement; we plan to release 3.7.1 next week.",
        )],
    )
    .await;
    wait_state(&team, "reporter_review").await;

    s.step("reporter: reading the draft and replying");
    reporter.goto(&status_url).await.unwrap();
    wait_state(&reporter, "reporter_review").await;
    let text = body_text(&reporter).await;
    for expected in [CVE, AFFECTED_1] {
        assert!(
            text.contains(expected),
            "the reporter's status page should show the draft announcement ({expected:?}):\n{}",
            truncate(&text, 3000)
        );
    }
    let reply_text = format!("The draft looks right to me. Thanks! ({hex})");
    let reply = wait_for(&reporter, "form#reply-form").await;
    type_in(&reply, "body", &reply_text).await;
    let send = reply.find(Locator::Css("button#reply")).await.unwrap();
    press(&reporter, &send).await;
    let messages = wait_for(&reporter, "ol#messages").await;
    let shown = messages.find_all(Locator::Css("li.message")).await.unwrap();
    let mut found = false;
    for li in shown {
        if li.text().await.unwrap().contains(&reply_text) {
            found = true;
        }
    }
    assert!(found, "the reporter's reply should appear in #messages");

    // --- 8. Fix and release ------------------------------------------------------------
    s.step("team: seeing the reply, recording fix and release");
    team.refresh().await.unwrap();
    wait_state(&team, "reporter_review").await;
    assert!(
        body_text(&team).await.contains(&reply_text),
        "the team's report page should show the reporter's reply"
    );
    transition(
        &team,
        "fixed",
        &[
            ("fix_ref", "https://github.com/apache/widget/commit/4f1c2a9"),
            ("release_ref", "3.7.1"),
        ],
        &[("message", "The fix is released in 3.7.1 and 4.0.2.")],
    )
    .await;
    wait_state(&team, "fixed").await;

    s.step("public pages: canary and id still absent once fixed");
    assert_nothing_public(&s, &secrets, Some(&report_id), &status_url).await;

    // --- 9. Announce --------------------------------------------------------------------
    // The agreed disclosure date is two weeks ahead: announcing now is refused until the
    // team confirms it, and the page says where the copies will go.
    s.step("team: announcing before the agreed disclosure date, without confirming");
    let announce = wait_for(&team, r#"form.transition[data-to="announced"]"#).await;
    confirm_irreversible(&announce).await;
    let planned = visible_texts(&team, "#announce-to").await;
    assert!(
        planned.iter().any(|t| t.contains("reporter (")),
        "the announce form names its destinations: {planned:?}"
    );
    transition(&team, "announced", &[], &[]).await;
    wait_for(&team, "span#state").await;
    let errors = visible_errors(&team).await;
    assert!(
        errors.iter().any(|e| e.contains("agreed disclosure date")),
        "the early announcement is refused with the reason: {errors:?}; {}",
        describe(&team).await
    );
    assert_eq!(state_of(&team).await.as_deref(), Some("fixed"));
    s.step("team: ticking the confirmation and announcing");
    let announce = wait_for(&team, r#"form.transition[data-to="announced"]"#).await;
    confirm_irreversible(&announce).await;
    announce
        .find(Locator::Css(r#"input[name="confirm_early"]"#))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let button = announce
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap();
    press(&team, &button).await;
    wait_state(&team, "announced").await;
    let copies = visible_texts(&team, "#announcement-destinations tbody tr").await;
    assert!(
        copies.iter().any(|r| r.contains("reporter")) && copies.len() >= 2,
        "the report page lists each copy of the announcement: {copies:?}"
    );
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let report_png = shots.join(format!("browser-{label}-report.png"));
    std::fs::write(&report_png, team.screenshot().await.unwrap()).unwrap();

    reporter.goto(&status_url).await.unwrap();
    wait_state(&reporter, "announced").await;

    // --- 10. The advisory is public --------------------------------------------------------
    s.step("public: the advisory is listed and shown");
    let expected_href = format!("/advisories/{CVE}");
    for page in [format!("/projects/{SLUG}"), "/advisories".to_string()] {
        reporter.goto(&s.url(&page)).await.unwrap();
        let link = advisory_link(&reporter, &expected_href).await;
        let text = link.text().await.unwrap();
        assert!(
            text.trim().starts_with(&format!("{CVE}: ")) && text.contains(&canary),
            "{page}: the advisory link should read \"{CVE}: {canary}\", reads {text:?}"
        );
    }
    // On /advisories now; follow the link as a reader would.
    let link = advisory_link(&reporter, &expected_href).await;
    link.click().await.unwrap();
    let deadline = Instant::now() + WAIT;
    while url_path(reporter.current_url().await.unwrap().as_str()) != expected_href {
        assert!(
            Instant::now() < deadline,
            "following the advisory link went nowhere"
        );
        tokio::time::sleep(POLL).await;
    }
    let text = body_text(&reporter).await;
    for expected in [
        CVE.to_string(),
        canary.clone(),
        format!("- {PRODUCT} {AFFECTED_1}"),
        "Ann Researcher".to_string(),
    ] {
        assert!(
            text.contains(&expected),
            "the advisory page lacks {expected:?}:\n{}",
            truncate(&text, 3000)
        );
    }
    let advisory_png = shots.join(format!("browser-{label}-advisory.png"));
    std::fs::write(&advisory_png, reporter.screenshot().await.unwrap()).unwrap();

    let (status, json_text) = fetch(&s, &format!("/advisories/{CVE}.json")).await;
    assert_eq!(status, 200, "/advisories/{CVE}.json: {json_text}");
    let body = json_text.split_once("\n\n").map_or("", |(_, b)| b);
    let record: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("/advisories/{CVE}.json is not JSON ({e}): {body}"));
    assert_eq!(record["cveMetadata"]["cveId"], json!(CVE));

    let (status, api) = fetch(&s, "/api/v1/advisories").await;
    if status == 200 {
        assert!(
            api.contains(CVE),
            "/api/v1/advisories does not list {CVE}: {api}"
        );
    } else {
        println!("NOTE: /api/v1/advisories answers {status} after the announcement");
    }

    reporter.close().await.unwrap();
    team.close().await.unwrap();
    s.step("done");
    println!("screenshot of the report page:  {}", report_png.display());
    println!(
        "screenshot of the advisory page: {}",
        advisory_png.display()
    );
    drop(driver);
    drop(server);
}

/// Fetches every public page anonymously and checks that none of them, headers included,
/// mentions any of `secrets`; the advisory pages of the not yet announced CVE must not exist.
async fn assert_nothing_public(
    s: &Story,
    secrets: &[String],
    report_id: Option<&str>,
    status_url: &str,
) {
    let bogus = format!("/no-such-page-{}", random_hex());
    let mut pages: Vec<String> = vec![
        "/".into(),
        "/advisories".into(),
        format!("/projects/{SLUG}"),
        "/api/v1/advisories".into(),
        format!("/advisories/{CVE}"),
        format!("/advisories/{CVE}.json"),
        bogus.clone(),
        "/report".into(),
        "/login".into(),
        "/dashboard".into(),
        "/.well-known/security.txt".into(),
        "/api/v1/openapi.json".into(),
        format!("/projects/{SLUG}/vex/openvex.json"),
        format!("/projects/{SLUG}/vex/cyclonedx.json"),
        format!("/projects/{SLUG}/vex/csaf.json"),
        format!("/projects/{SLUG}/vex/dependency-check.xml"),
        format!("/api/v1/projects/{SLUG}/statements"),
    ];
    if let Some(id) = report_id {
        pages.push(format!("/reports/{id}"));
        pages.push(format!("/api/v1/reports/{id}"));
        pages.push(format!("/api/v1/reports?project={SLUG}"));
    }
    // A guessed status link: the real one with its last character changed.
    let mut guessed = status_url.to_string();
    let last = guessed.pop().unwrap();
    guessed.push(if last == 'A' { 'B' } else { 'A' });
    pages.push(
        guessed
            .strip_prefix(&s.base)
            .unwrap_or(&guessed)
            .to_string(),
    );

    let mut answers = Vec::new();
    for page in &pages {
        let (status, text) = fetch(s, page).await;
        answers.push(format!("{status} {}", truncate(page, 40)));
        for secret in secrets {
            assert!(
                !text.contains(secret.as_str()),
                "embargo broken: anonymous GET {page} ({status}) contains {secret:?}:\n{}",
                truncate(&text, 3000)
            );
        }
        if page.starts_with(&format!("/advisories/{CVE}")) || page == &bogus {
            assert!(
                !(200..300).contains(&status),
                "GET {page} answered {status} before the announcement; it should not exist yet"
            );
        }
    }
    println!("    checked anonymously: {}", answers.join(", "));
}

async fn fetch(s: &Story, path: &str) -> (u16, String) {
    let url = if path.starts_with("http") {
        path.to_string()
    } else {
        s.url(path)
    };
    let resp = s
        .http
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status().as_u16();
    let mut text = String::new();
    for (k, v) in resp.headers() {
        text.push_str(&format!("{k}: {}\n", String::from_utf8_lossy(v.as_bytes())));
    }
    text.push('\n');
    text.push_str(&resp.text().await.unwrap());
    (status, text)
}

fn projects_toml() -> String {
    format!(
        r#"[[project]]
slug = "{SLUG}"
name = "{PROJECT_NAME}"
security_email = "security@widget.example.org"
users_list = "users@widget.example.org"
team = ["{ADMIN_EMAIL}", "dev@widget.example.org"]
security_model_url = "https://widget.example.org/security-model.html"

[project.policy]
acknowledge_working_days = 3
discuss_hours = 24
announce_days = 30
time_zone = "Europe/Amsterdam"
holidays = ["2026-12-25", "2026-12-26"]
extra_non_issues = ["The admin console is reachable without login on localhost."]

[[project]]
slug = "gadget"
name = "Apache Gadget"
security_email = "security@gadget.example.org"
users_list = "users@gadget.example.org"
team = ["dev@gadget.example.org"]
"#
    )
}

// ---------------------------------------------------------------------------------------
// Browser helpers
// ---------------------------------------------------------------------------------------

/// Fills and submits the transition form to `to`. `required` fields must be there;
/// `optional` ones (the message to the reporter) are filled when the form has them.
async fn transition(c: &Client, to: &str, required: &[(&str, &str)], optional: &[(&str, &str)]) {
    let css = format!("form.transition[data-to=\"{to}\"]");
    let form = match c.find(Locator::Css(&css)).await {
        Ok(f) => f,
        Err(_) => {
            let mut offered = Vec::new();
            for f in c
                .find_all(Locator::Css("form.transition"))
                .await
                .unwrap_or_default()
            {
                offered.push(f.attr("data-to").await.unwrap().unwrap_or_default());
            }
            panic!(
                "no {css} on the report page; transitions offered: {offered:?}; {}",
                describe(c).await
            );
        }
    };
    confirm_irreversible(&form).await;
    for (name, value) in required {
        let field = form
            .find(Locator::Css(&format!("[name=\"{name}\"]")))
            .await
            .unwrap_or_else(|e| panic!("the transition to {to} has no field {name:?}: {e}"));
        if field.attr("type").await.unwrap().as_deref() == Some("date") {
            set_date(c, &field, value).await;
        } else {
            type_in(&form, name, value).await;
        }
    }
    for (name, value) in optional {
        if form
            .find(Locator::Css(&format!("[name=\"{name}\"]")))
            .await
            .is_ok()
        {
            type_in(&form, name, value).await;
        }
    }
    let button = form
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap_or_else(|e| panic!("the transition to {to} has no submit button: {e}"));
    press(c, &button).await;
}

/// The one field not typed into: a date input takes keys in the browser's locale format
/// (mm/dd/yyyy, dd.mm.yyyy, ...), so, as the test's contract allows for date inputs only,
/// its value is set through JavaScript, with the events a person's input would fire.
async fn set_date(c: &Client, field: &Element, date: &str) {
    let got = c
        .execute(
            "const el = arguments[0]; el.value = arguments[1];\
             el.dispatchEvent(new Event('input', {bubbles: true}));\
             el.dispatchEvent(new Event('change', {bubbles: true}));\
             return el.value;",
            vec![serde_json::to_value(field).unwrap(), json!(date)],
        )
        .await
        .unwrap();
    assert_eq!(got, json!(date), "the date input did not take {date}");
}

async fn state_of(c: &Client) -> Option<String> {
    let el = c.find(Locator::Css("span#state")).await.ok()?;
    el.attr("data-state").await.ok().flatten()
}

async fn wait_state(c: &Client, expected: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let state = state_of(c).await;
        if state.as_deref() == Some(expected) {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "#state data-state is {state:?}, expected {expected:?}; errors on the page: {:?}; {}",
                visible_errors(c).await,
                describe(c).await
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The dashboard row of the report titled `title`: its class and its link.
async fn dashboard_row(c: &Client, title: &str) -> (String, Element) {
    let deadline = Instant::now() + WAIT;
    loop {
        for row in c
            .find_all(Locator::Css("table#reports tr.report"))
            .await
            .unwrap_or_default()
        {
            if let Ok(link) = row.find(Locator::Css("a.report-link")).await
                && link.text().await.unwrap_or_default().trim() == title
            {
                let class = row.attr("class").await.unwrap().unwrap_or_default();
                return (class, link);
            }
        }
        assert!(
            Instant::now() < deadline,
            "no tr.report with a.report-link {title:?} on the dashboard; {}",
            describe(c).await
        );
        tokio::time::sleep(POLL).await;
        c.refresh().await.unwrap();
    }
}

async fn advisory_link(c: &Client, href: &str) -> Element {
    wait_for(c, "body").await;
    let mut seen = Vec::new();
    for link in c
        .find_all(Locator::Css("a.advisory"))
        .await
        .unwrap_or_default()
    {
        let h = link.attr("href").await.unwrap().unwrap_or_default();
        if url_path(&h) == href {
            return link;
        }
        seen.push(h);
    }
    panic!(
        "no a.advisory linking to {href} (links seen: {seen:?}); {}",
        describe(c).await
    );
}

// ---------------------------------------------------------------------------------------
// Processes, ports, databases, small things
// ---------------------------------------------------------------------------------------

/// Runs one `embargo` CLI command to its end (bounded), failing the test if it fails.
fn run_cli(args: &[&str], db_args: &[String], env: &[(&str, String)], dir: &Path) -> String {
    let log = dir.join(format!("cli-{}.log", random_hex()));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_embargo"));
    cmd.args(args).args(db_args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = File::create(&log).unwrap();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + START;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("embargo {} did not finish within {START:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        status.success(),
        "embargo {} failed ({status}):\n{output}",
        args.join(" ")
    );
    output
}

/// `EMB-` followed by 12 Crockford base32 characters, if the text shows one.
fn find_report_id(text: &str) -> Option<String> {
    const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    text.match_indices("EMB-").find_map(|(i, _)| {
        let body: String = text[i + 4..].chars().take(12).collect();
        (body.len() == 12 && body.chars().all(|c| ALPHABET.contains(c)))
            .then(|| format!("EMB-{body}"))
    })
}

fn absolute(base: &str, href: &str) -> String {
    if href.starts_with("http://") || href.starts_with("https://") {
        href.to_string()
    } else {
        format!("{base}{href}")
    }
}

/// The path of an absolute or relative URL, without query or fragment.
fn url_path(href: &str) -> String {
    let rest = match href.split_once("://") {
        Some((_, r)) => r.find('/').map_or("/", |i| &r[i..]),
        None => href,
    };
    rest.split(['?', '#']).next().unwrap_or("").to_string()
}
