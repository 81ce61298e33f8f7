//! The CNA in a real browser (headless chromium through chromedriver): a member of a
//! trusted project, whose password is set through the setup link `embargo user add`
//! prints, writes the CVE record of an accepted report with an assigned CVE — with a CVSS
//! 4.0 vector whose score the page computes, and a malformed CWE first, whose finding the
//! page shows until it is fixed — and submits it for review; the organisation admin, in a
//! second browser session, marks it READY; once the report is announced the admin
//! publishes it, and the advisory is then served in every public format (CVE JSON 5, OSV,
//! CSAF 2.0 in place and under `/.well-known/csaf/white/`, Atom), none of which showed it
//! before the announcement. Finally the organisation team rejects another report's
//! RESERVED id from the page, with a reason. Lifecycle steps that are not the point here go through the
//! JSON API with a token from `embargo token create`.
//!
//! Runs on SQLite always, and also on PostgreSQL when `EMBARGO_TEST_POSTGRES` holds a
//! server URL; a fresh database is created for the run and dropped after it. Without
//! chromium/chromedriver the test says `SKIPPED` and passes, except under `CI=true`.
//! A screenshot of the record page lands in `CARGO_TARGET_TMPDIR` (path printed).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use embargo_store::test_support::TestBackend;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::support::*;

const ADMIN_EMAIL: &str = "cna-admin@example.org";
const ADMIN_PASSWORD: &str = "browser-test correct horse battery staple";
const MEMBER_EMAIL: &str = "dana@widget.example.org";
const MEMBER_NAME: &str = "Dana Developer";
const MEMBER_PASSWORD: &str = "dana's own long widget password";
const SLUG: &str = "widget";
const PRODUCT: &str = "Apache Widget";
/// The first id of the pool: the trusted project's member takes it.
const CVE: &str = "CVE-2026-20000";
const CVSS_V4: &str = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
/// What FIRST's calculator gives for `CVSS_V4`.
const CVSS_V4_SCORE: &str = "9.3";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_review_ready_publish_in_the_browser_on_sqlite() {
    run_story("CNA browser test", TestBackend::Sqlite, |t, b| async move {
        story(&t, b).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_review_ready_publish_in_the_browser_on_postgres() {
    run_story(
        "CNA browser test",
        TestBackend::Postgres,
        |t, b| async move { story(&t, b).await },
    )
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
    db_args: Vec<String>,
    env: Vec<(&'static str, String)>,
    dir: PathBuf,
}

impl Story {
    fn step(&self, what: &str) {
        println!(
            "[browser-cna {} {:>6.1}s] {what}",
            self.label,
            self.started.elapsed().as_secs_f64()
        );
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    fn cli(&self, args: &[&str]) -> String {
        run_embargo(args, &self.db_args, &self.env, &self.dir)
    }

    /// A JSON API call; the answer's status and body.
    async fn api(&self, token: Option<&str>, path: &str, body: &Value) -> (u16, Value) {
        let mut req = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A lifecycle transition through the API, which must succeed.
    async fn transition(&self, token: &str, id: &str, body: Value) -> Value {
        let (status, view) = self
            .api(
                Some(token),
                &format!("/api/v1/reports/{id}/transitions"),
                &body,
            )
            .await;
        assert_eq!(status, 200, "transition {body}: {view}");
        view
    }
}

async fn story(tools: &BrowserTools, backend: Backend) {
    let started = Instant::now();
    let label = backend.label();
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();

    // --- The server, a trusted project, its member, the CVE pool ------------------------
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
    let env = vec![
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
        db_args: db_args.clone(),
        env: env.clone(),
        dir: tmp.path().to_path_buf(),
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

    s.step("adding the project member, importing the trusted project, loading the pool");
    let added = s.cli(&[
        "user",
        "add",
        "--email",
        MEMBER_EMAIL,
        "--name",
        MEMBER_NAME,
    ]);
    let setup_url = added
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("http") && l.contains("/setup/"))
        .unwrap_or_else(|| panic!("`embargo user add` printed no setup link:\n{added}"))
        .to_string();
    let projects = tmp.path().join("projects.toml");
    std::fs::write(&projects, projects_toml()).unwrap();
    s.cli(&["projects", "import", &projects.display().to_string()]);
    s.cli(&["cve", "pool", "add", "CVE-2026-20000..CVE-2026-20009"]);
    let token = s.cli(&["token", "create", "--email", MEMBER_EMAIL]);
    let token = token.lines().last().unwrap().trim().to_string();

    // --- The report, to an assigned CVE through the API ---------------------------------
    s.step("API: a report, acknowledged, accepted, CVE taken by the trusted project");
    let hex = random_hex();
    let title = format!("Canary-{hex} deserialization in the Widget REST API");
    let (status, created) = s
        .api(
            None,
            "/api/v1/reports",
            &json!({
                "project": SLUG,
                "title": title,
                "description": "The REST API deserializes request bodies with a polymorphic \
                                type handler, so a crafted JSON document runs code.",
                "affected_versions": "3.0.0 up to 3.7.0",
                "reporter_name": "Ann Researcher",
                "reporter_email": "ann@researcher.example",
                "credit": "Ann Researcher",
            }),
        )
        .await;
    assert_eq!(status, 201, "submit: {created}");
    let id = created["id"].as_str().unwrap().to_string();
    s.transition(&token, &id, json!({"to": "acknowledged"}))
        .await;
    s.transition(
        &token,
        &id,
        json!({"to": "accepted", "disclosure_date": date_in_days(14)}),
    )
    .await;
    // Delegation: the project is trusted, so its own member takes the id from the pool.
    let view = s
        .transition(&token, &id, json!({"to": "cve_assigned"}))
        .await;
    assert_eq!(view["cve"], json!(CVE), "{view}");
    assert_nothing_public(&s, &[title.as_str(), CVE, &CVE.to_ascii_lowercase()]).await;

    // --- Two browsers: the project member's and the organisation admin's ------------------
    s.step("starting chromedriver and two headless chromium sessions");
    let (driver, driver_url) = start_chromedriver(tools, tmp.path(), &s.http).await;
    let member = browser(
        &driver_url,
        &tools.chromium,
        &tmp.path().join("member"),
        2400,
    )
    .await;
    let admin = browser(
        &driver_url,
        &tools.chromium,
        &tmp.path().join("admin"),
        2400,
    )
    .await;

    // --- 1. The member sets a password through the setup link and logs in ---------------
    s.step("member: setting the password through the setup link");
    member.goto(&setup_url).await.unwrap();
    let form = wait_for(&member, "form#setup-form").await;
    assert!(
        body_text(&member).await.contains(MEMBER_NAME),
        "the setup page greets the member by name; {}",
        describe(&member).await
    );
    type_in(&form, "password", MEMBER_PASSWORD).await;
    type_in(&form, "password_confirm", MEMBER_PASSWORD).await;
    let button = form
        .find(Locator::Css("button#set-password"))
        .await
        .unwrap();
    press(&member, &button).await;
    login(&member, &s, MEMBER_EMAIL, MEMBER_PASSWORD).await;

    s.step(&format!("member: opening report {id}"));
    member
        .goto(&s.url(&format!("/reports/{id}")))
        .await
        .unwrap();
    wait_for(&member, "form#record-form").await;
    let text = body_text(&member).await;
    assert!(
        text.contains(&title) && text.contains(CVE),
        "{}",
        describe(&member).await
    );
    assert_eq!(record_state(&member).await.as_deref(), Some("reserved"));

    // --- 2. The record, with a malformed CWE first --------------------------------------
    s.step("member: writing the record with a CVSS 4.0 vector and a malformed CWE");
    let record = [
        ("title", title.as_str()),
        (
            "description",
            "Deserialization of Untrusted Data vulnerability in the REST API of Apache Widget.\n\n\
             A crafted request body lets an unauthenticated attacker run code on the server.",
        ),
        ("products[0].product", PRODUCT),
        ("products[0].versions", "3.0.0 before 3.7.1"),
        ("products[0].version_type", "semver"),
        ("cvss_v4_0", CVSS_V4),
        ("cwe", "CWE-50X"),
        ("cwe_name", "Deserialization of Untrusted Data"),
        (
            "mitigation",
            "Users are recommended to upgrade to version 3.7.1, which fixes the issue.",
        ),
        ("credits", "Ann Researcher (finder)"),
        (
            "references",
            "https://widget.example.org/security.html [vendor-advisory]",
        ),
    ];
    let form = wait_for(&member, "form#record-form").await;
    for (name, value) in record {
        type_in(&form, name, value).await;
    }
    let save = form.find(Locator::Css("button#save-record")).await.unwrap();
    press(&member, &save).await;
    wait_for(&member, "form#record-form").await;
    let flagged = visible_texts(&member, "#record-findings li, #record-problem, p.error").await;
    assert!(
        flagged
            .iter()
            .any(|t| t.contains("CWE-50X") || t.contains("CWE")),
        "the malformed CWE should be flagged visibly, got {flagged:?}; {}",
        describe(&member).await
    );
    s.step(&format!("member: the page flags {flagged:?}"));
    assert_ne!(
        record_state(&member).await.as_deref(),
        Some("review"),
        "a flagged record is not in review"
    );

    // The score is computed from the vector and shown.
    let score = wait_for(
        &member,
        r#"#cvss-scores dd.cvss-score[data-key="cvssV4_0"]"#,
    )
    .await;
    let score = score.text().await.unwrap();
    assert!(
        score.starts_with(CVSS_V4_SCORE) && score.to_ascii_lowercase().contains("critical"),
        "the CVSS 4.0 score shown is {score:?}, expected {CVSS_V4_SCORE} critical"
    );
    s.step(&format!(
        "member: the page shows the CVSS 4.0 score {score:?}"
    ));

    // A flagged record cannot go to review: the page offers the move and says why not.
    submit_for_review_refused(&member).await;
    s.step("member: submitting the flagged record for review is refused, naming the CWE");

    s.step("member: fixing the CWE");
    let form = wait_for(&member, "form#record-form").await;
    assert_eq!(
        field_value(&form, "cvss_v4_0").await.as_deref(),
        Some(CVSS_V4),
        "the form keeps the vector"
    );
    type_in(&form, "cwe", "CWE-502").await;
    let save = form.find(Locator::Css("button#save-record")).await.unwrap();
    press(&member, &save).await;
    wait_for(&member, "form#record-form").await;
    assert!(visible_errors(&member).await.is_empty());
    assert!(
        member.find(Locator::Css("#record-problem")).await.is_err(),
        "the fixed record is still flagged: {:?}",
        visible_texts(&member, "#record-problem").await
    );
    let errors: Vec<String> = visible_texts(&member, "#record-findings li.error").await;
    assert!(errors.is_empty(), "findings left: {errors:?}");
    assert_eq!(record_state(&member).await.as_deref(), Some("draft"));

    s.step("member: submitting for review");
    record_move(&member, "review", None).await;
    wait_record_state(&member, "review").await;
    assert!(
        member
            .find(Locator::Css(r#"form.record-transition[data-to="ready"]"#))
            .await
            .is_err(),
        "a project member is offered Mark READY"
    );
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let record_png = shots.join(format!("browser-cna-{label}-record.png"));
    member
        .execute(
            "document.getElementById('record-state').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    std::fs::write(&record_png, member.screenshot().await.unwrap()).unwrap();

    // --- 3. The organisation admin marks it READY -----------------------------------------
    s.step("admin: logging in in a second browser, marking READY");
    login(&admin, &s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    admin.goto(&s.url(&format!("/reports/{id}"))).await.unwrap();
    wait_record_state(&admin, "review").await;
    let score = wait_for(&admin, r#"dd.cvss-score[data-key="cvssV4_0"]"#).await;
    assert!(score.text().await.unwrap().starts_with(CVSS_V4_SCORE));
    assert!(
        admin
            .find(Locator::Css(
                r#"form.record-transition[data-to="published"]"#
            ))
            .await
            .is_err(),
        "publishing is offered before READY and before the announcement"
    );
    record_move(&admin, "ready", None).await;
    wait_record_state(&admin, "ready").await;

    // --- 4. Draft, fix, release through the API; still nothing public ------------------------
    s.step("API: reporter review and fix; nothing public yet");
    s.transition(&token, &id, json!({"to": "reporter_review"}))
        .await;
    s.transition(
        &token,
        &id,
        json!({"to": "fixed", "fix_ref": "https://github.com/apache/widget/commit/4f1c2a9", "release_ref": "3.7.1"}),
    )
    .await;
    assert_nothing_public(&s, &[title.as_str(), CVE, &CVE.to_ascii_lowercase()]).await;

    // --- 5. The member announces; the admin publishes ------------------------------------------
    s.step("member: announcing");
    member.refresh().await.unwrap();
    wait_for(&member, "span#state").await;
    let announce = wait_for(&member, r#"form.transition[data-to="announced"]"#).await;
    confirm_irreversible(&announce).await;
    // The agreed disclosure date is two weeks ahead: the member confirms announcing now.
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
    press(&member, &button).await;
    wait_state(&member, "announced").await;

    s.step("admin: publishing to the CVE Program");
    admin.refresh().await.unwrap();
    wait_record_state(&admin, "ready").await;
    record_move(&admin, "published", None).await;
    wait_record_state(&admin, "published").await;
    assert!(visible_errors(&admin).await.is_empty());

    // --- 6. Every format serves it --------------------------------------------------------
    s.step("public: the advisory in every format");
    let (status, cve5) = fetch_json(&s, &format!("/advisories/{CVE}.json")).await;
    assert_eq!(status, 200, "{cve5}");
    assert_eq!(cve5["cveMetadata"]["cveId"], json!(CVE));
    let cna = &cve5["containers"]["cna"];
    assert_eq!(cna["title"], json!(title));
    assert_eq!(
        cna["problemTypes"][0]["descriptions"][0]["cweId"],
        json!("CWE-502")
    );
    assert_eq!(
        cna["metrics"][0]["cvssV4_0"]["vectorString"],
        json!(CVSS_V4)
    );
    assert_eq!(cna["metrics"][0]["cvssV4_0"]["baseScore"], json!(9.3));

    let (status, osv) = fetch_json(&s, &format!("/advisories/{CVE}.osv.json")).await;
    assert_eq!(status, 200, "{osv}");
    assert!(
        osv["id"] == json!(CVE)
            || osv["aliases"]
                .as_array()
                .is_some_and(|a| a.contains(&json!(CVE))),
        "the OSV document names {CVE}: {osv}"
    );
    assert!(
        osv.to_string().contains(CVSS_V4),
        "OSV lacks the vector: {osv}"
    );

    let (status, csaf) = fetch_json(&s, &format!("/advisories/{CVE}.csaf.json")).await;
    assert_eq!(status, 200, "{csaf}");
    assert_eq!(csaf["vulnerabilities"][0]["cve"], json!(CVE));

    let (status, index) = fetch(&s, "/.well-known/csaf/white/index.txt").await;
    assert_eq!(status, 200, "{index}");
    let path = index
        .lines()
        .map(str::trim)
        .find(|l| l.to_ascii_uppercase().contains(CVE))
        .unwrap_or_else(|| panic!("index.txt does not list {CVE}:\n{index}"))
        .to_string();
    let (status, listed) = fetch_json(&s, &format!("/.well-known/csaf/white/{path}")).await;
    assert_eq!(status, 200, "{path}: {listed}");
    assert_eq!(listed, csaf, "the CSAF document under {path} differs");

    let (status, atom) = fetch(&s, "/advisories.atom").await;
    assert_eq!(status, 200);
    assert!(
        atom.contains(CVE) && atom.contains(&title),
        "the Atom feed lacks the advisory:\n{}",
        truncate(&atom, 3000)
    );

    // --- 7. The organisation team rejects a reserved id, with a reason, from the page ------
    s.step("API: a second report takes the next id, which stays RESERVED");
    let (status, created) = s
        .api(
            None,
            "/api/v1/reports",
            &json!({
                "project": SLUG,
                "title": format!("Second-{hex} the same deserialization, reported again"),
                "description": "The REST API deserializes request bodies unsafely.",
                "reporter_email": "bob@researcher.example",
            }),
        )
        .await;
    assert_eq!(status, 201, "submit: {created}");
    let second = created["id"].as_str().unwrap().to_string();
    s.transition(&token, &second, json!({"to": "acknowledged"}))
        .await;
    s.transition(
        &token,
        &second,
        json!({"to": "accepted", "disclosure_date": date_in_days(14)}),
    )
    .await;
    let view = s
        .transition(&token, &second, json!({"to": "cve_assigned"}))
        .await;
    let reserved = view["cve"].as_str().unwrap().to_string();
    assert_eq!(reserved, "CVE-2026-20001", "{view}");

    member
        .goto(&s.url(&format!("/reports/{second}")))
        .await
        .unwrap();
    wait_record_state(&member, "reserved").await;
    assert!(
        member
            .find(Locator::Css(
                r#"form.record-transition[data-to="rejected"]"#
            ))
            .await
            .is_err(),
        "a project member is offered to reject the CVE id"
    );

    s.step(&format!("admin: rejecting {reserved} with a reason"));
    let reason = format!("Duplicate of {CVE}.");
    admin
        .goto(&s.url(&format!("/reports/{second}")))
        .await
        .unwrap();
    wait_record_state(&admin, "reserved").await;
    record_move(&admin, "rejected", Some(&reason)).await;
    wait_record_state(&admin, "rejected").await;
    assert!(visible_errors(&admin).await.is_empty());
    let text = body_text(&admin).await;
    assert!(
        text.contains(&reason) && text.contains("REJECTED"),
        "the page shows the rejection and its reason; {}",
        describe(&admin).await
    );
    // With its id rejected, the report itself may now be rejected (as a duplicate).
    wait_for(&admin, r#"form.transition[data-to="rejected"]"#).await;

    member.close().await.unwrap();
    admin.close().await.unwrap();
    s.step("done");
    println!("screenshot of the record page: {}", record_png.display());
    drop(driver);
    drop(server);
}

/// Anonymous GETs of every format: the advisory is absent (no 2xx for its documents, and
/// none of `secrets` in the listings and feeds).
async fn assert_nothing_public(s: &Story, secrets: &[&str]) {
    for page in [
        format!("/advisories/{CVE}"),
        format!("/advisories/{CVE}.json"),
        format!("/advisories/{CVE}.osv.json"),
        format!("/advisories/{CVE}.csaf.json"),
        format!(
            "/.well-known/csaf/white/2026/{}.json",
            CVE.to_ascii_lowercase()
        ),
    ] {
        let (status, body) = fetch(s, &page).await;
        assert!(
            !(200..300).contains(&status),
            "GET {page} answered {status} before the announcement:\n{}",
            truncate(&body, 2000)
        );
    }
    for page in [
        "/advisories",
        "/advisories.atom",
        "/api/v1/advisories",
        "/.well-known/csaf/white/index.txt",
        "/.well-known/csaf/white/changes.csv",
        "/.well-known/csaf/provider-metadata.json",
        "/projects/widget",
        "/projects/widget/advisories.atom",
    ] {
        let (status, body) = fetch(s, page).await;
        for secret in secrets {
            assert!(
                !body.contains(secret),
                "embargo broken: anonymous GET {page} ({status}) shows {secret:?}:\n{}",
                truncate(&body, 2000)
            );
        }
    }
    s.step("public: nothing about the advisory in any format");
}

fn projects_toml() -> String {
    format!(
        r#"[[project]]
slug = "{SLUG}"
name = "{PRODUCT}"
security_email = "security@widget.example.org"
users_list = "users@widget.example.org"
team = ["{MEMBER_EMAIL}"]
trusted = true
"#
    )
}

async fn login(c: &Client, s: &Story, email: &str, password: &str) {
    c.goto(&s.url("/login")).await.unwrap();
    let form = wait_for(c, "form#login-form").await;
    type_in(&form, "email", email).await;
    type_in(&form, "password", password).await;
    let button = form.find(Locator::Css("button#login")).await.unwrap();
    press(c, &button).await;
    wait_for(c, "table#reports").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/dashboard");
}

/// Submits the record move to `to` from the report page.
async fn record_move(c: &Client, to: &str, reason: Option<&str>) {
    let css = format!("form.record-transition[data-to=\"{to}\"]");
    let form = match c.find(Locator::Css(&css)).await {
        Ok(f) => f,
        Err(_) => {
            let mut offered = Vec::new();
            for f in c
                .find_all(Locator::Css("form.record-transition"))
                .await
                .unwrap_or_default()
            {
                offered.push(f.attr("data-to").await.unwrap().unwrap_or_default());
            }
            panic!(
                "no {css}; record moves offered: {offered:?}; {}",
                describe(c).await
            );
        }
    };
    confirm_irreversible(&form).await;
    if let Some(reason) = reason {
        type_in(&form, "reason", reason).await;
    }
    let button = form
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap();
    press(c, &button).await;
}

/// With a finding left, "Submit for review" is still offered, refused, and the page
/// says why.
async fn submit_for_review_refused(c: &Client) {
    record_move(c, "review", None).await;
    wait_for(c, "form#record-form").await;
    let said = visible_texts(c, "p.error, #record-problem").await;
    assert!(
        said.iter().any(|t| t.contains("CWE")),
        "submitting a flagged record should be refused naming the CWE, page says {said:?}; {}",
        describe(c).await
    );
    assert_ne!(record_state(c).await.as_deref(), Some("review"));
}

// ---------------------------------------------------------------------------------------
// Browser helpers
// ---------------------------------------------------------------------------------------

async fn attr_of(c: &Client, css: &str, attr: &str) -> Option<String> {
    let el = c.find(Locator::Css(css)).await.ok()?;
    el.attr(attr).await.ok().flatten()
}

async fn record_state(c: &Client) -> Option<String> {
    attr_of(c, "#record-state", "data-state").await
}

async fn wait_until_attr(c: &Client, css: &str, expected: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = attr_of(c, css, "data-state").await;
        if got.as_deref() == Some(expected) {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "{css} data-state is {got:?}, expected {expected:?}; errors on the page: {:?}; {}",
                visible_errors(c).await,
                describe(c).await
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn wait_record_state(c: &Client, expected: &str) {
    wait_until_attr(c, "#record-state", expected).await;
}

async fn wait_state(c: &Client, expected: &str) {
    wait_until_attr(c, "span#state", expected).await;
}

/// An anonymous GET: status and body.
async fn fetch(s: &Story, path: &str) -> (u16, String) {
    let url = s.url(path);
    let resp = s
        .http
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

async fn fetch_json(s: &Story, path: &str) -> (u16, Value) {
    let (status, text) = fetch(s, path).await;
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("GET {path} ({status}) is not JSON ({e}): {text}"));
    (status, value)
}

// ---------------------------------------------------------------------------------------
// Processes, ports, small things
// ---------------------------------------------------------------------------------------
