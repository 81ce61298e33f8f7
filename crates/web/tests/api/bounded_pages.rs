//! The report page stays bounded however much mail a report gathers: it shows at most
//! a page of received mails and a page of attachments (`DETAIL_PAGE`, 50), says how
//! many there are in all, and links to the next ones and back to the first.

use embargo_domain::ids::{Email, ReportId};
use embargo_domain::lifecycle::Contacts;
use embargo_domain::mail::{HoldReason, hold};
use embargo_store::{IncomingMail, MailEffect, Mailbox, NewAttachment, Reports};
use jiff::Timestamp;

use crate::support::{ADMIN, TestApp, apps, page_text};

const ATTACHMENTS: usize = 120;
const MAILS: usize = 52;

fn contacts() -> Contacts {
    Contacts {
        org_name: "Example".into(),
        org_security: Email::parse("security@example.org").expect("email"),
        team: Email::parse("security@alpha.example.org").expect("email"),
        users_list: None,
        status_url: None,
        base_url: None,
        owner: None,
    }
}

/// Holds mail number `n` on the report, with `attachments`.
async fn hold_mail(app: &TestApp, id: &ReportId, n: usize, attachments: &[NewAttachment]) {
    let report = app.store.report(id).await.expect("load").expect("report");
    let change = hold(
        &report,
        "eve@elsewhere.example",
        "more files",
        HoldReason::UnknownSender,
        Timestamp::now(),
        &contacts(),
    )
    .expect("hold");
    let raw = format!(
        "From: eve@elsewhere.example\r\nTo: security@alpha.example.org\r\n\
         Subject: Files {n}\r\nMessage-ID: <files-{n}@elsewhere.example>\r\n\r\nmore files\r\n"
    );
    app.store
        .take_mail(
            &IncomingMail {
                message_id: &format!("files-{n}@elsewhere.example"),
                raw: raw.as_bytes(),
                disposition: "held",
                received_at: Timestamp::now(),
                attachments,
                headers: None,
                released_from: None,
            },
            MailEffect::Apply(&change),
        )
        .await
        .expect("take mail");
}

fn attachment(i: usize) -> NewAttachment {
    NewAttachment {
        name: format!("trace-{i:03}.txt"),
        content_type: "text/plain".into(),
        size: 4,
        sha256: format!("{i:064x}"),
        content: Some(b"data".to_vec()),
    }
}

/// The text of the table `id` on `page`.
fn table<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!(r#"<table id="{id}">"#))
        .unwrap_or_else(|| panic!("no table {id}"));
    let end = start + page[start..].find("</table>").expect("table end");
    &page[start..end]
}

/// The href of the link with `id`, if the page has it.
fn link(page: &str, id: &str) -> Option<String> {
    let pattern = format!(r#"id="{id}" href=""#);
    let rest = &page[page.find(&pattern)? + pattern.len()..];
    Some(rest[..rest.find('"').expect("href end")].replace("&#35;", "#"))
}

#[tokio::test(flavor = "multi_thread")]
async fn report_pages_show_a_bounded_page_of_attachments_and_mails() {
    for app in apps().await {
        let b = app.backend;
        let (id, _) = app.submit("A report with many files", Some("alpha")).await;
        let report_id = ReportId::parse(&id).expect("id");
        let files: Vec<NewAttachment> = (0..ATTACHMENTS).map(attachment).collect();
        hold_mail(&app, &report_id, 0, &files).await;
        for n in 1..MAILS {
            hold_mail(&app, &report_id, n, &[]).await;
        }
        let team = app.login(ADMIN).await;
        let url = |query: &str| app.url(&format!("/reports/{id}{query}"));

        // Attachments: 50, 50, then the last 20, each page linking to the next.
        let mut seen = Vec::new();
        let mut query = String::new();
        for (page_no, expected) in [50, 50, 20].into_iter().enumerate() {
            let page = page_text(&team, url(&query)).await;
            let names: Vec<&str> = table(&page, "attachments")
                .split("download>")
                .skip(1)
                .map(|s| &s[..s.find('<').expect("name end")])
                .collect();
            assert_eq!(names.len(), expected, "{b}: page {page_no}");
            seen.extend(names.iter().map(|s| s.to_string()));
            assert!(
                page.contains(&format!(
                    "{expected} of {ATTACHMENTS} attachments shown here."
                )),
                "{b}: the count on page {page_no}"
            );
            assert_eq!(
                link(&page, "attachments-first").is_some(),
                page_no > 0,
                "{b}: a way back to the first page from page {page_no}"
            );
            match link(&page, "attachments-next") {
                Some(next) => {
                    assert!(next.starts_with("?attachments_after="), "{b}: {next}");
                    query = next;
                }
                None => assert_eq!(page_no, 2, "{b}: the last page has no next link"),
            }
        }
        let all: Vec<String> = (0..ATTACHMENTS)
            .map(|i| format!("trace-{i:03}.txt"))
            .collect();
        assert_eq!(seen, all, "{b}: every attachment once, in order");

        // Received mail: 50 of 52 on the first page, the other 2 on the next.
        let page = page_text(&team, url("")).await;
        let rows = |page: &str| {
            table(page, "incoming-mail")
                .matches("<tr class=\"held\">")
                .count()
        };
        assert_eq!(rows(&page), 50, "{b}");
        assert!(
            page.contains(&format!("50 of {MAILS} received mails shown here.")),
            "{b}"
        );
        let next = link(&page, "incoming-mail-next").expect("next mails");
        assert!(next.starts_with("?mail_after="), "{b}: {next}");
        let last = page_text(&team, url(&next)).await;
        assert_eq!(rows(&last), 2, "{b}");
        assert!(
            last.contains("Files 51"),
            "{b}: the newest mail is on the last page"
        );
        assert!(link(&last, "incoming-mail-next").is_none(), "{b}");
        assert!(link(&last, "incoming-mail-first").is_some(), "{b}");

        // A report with a few of each shows them all, without counts or links.
        let (small, _) = app.submit("A report with one file", Some("alpha")).await;
        let small_id = ReportId::parse(&small).expect("id");
        hold_mail(&app, &small_id, 1000, &[attachment(0)]).await;
        let page = page_text(&team, app.url(&format!("/reports/{small}"))).await;
        assert!(page.contains("trace-000.txt"), "{b}");
        assert!(!page.contains("attachments-paging"), "{b}");
        assert!(!page.contains("incoming-mail-paging"), "{b}");
    }
}
