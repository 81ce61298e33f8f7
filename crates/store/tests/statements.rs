//! A project's dependency statements in the store, on every backend from
//! `test_support` (SQLite always, PostgreSQL when `EMBARGO_TEST_POSTGRES` names a
//! server): versions and history, a stale edit refused, withdrawal kept, public-only
//! lists, content sealed at rest, an import stored whole or not at all, the bound.
#![allow(clippy::unwrap_used)]

use embargo_domain::ids::{Email, ProjectId, ProjectSlug};
use embargo_domain::policy::PolicyOverrides;
use embargo_domain::vex::{Component, Justification, Statement, VexStatus};
use embargo_store::test_support::fresh_store;
use embargo_store::*;
use jiff::Timestamp;
use sqlx::Row;

async fn project(store: &SqlStore, slug: &str) -> ProjectId {
    store
        .upsert_project(&ProjectInput {
            slug: ProjectSlug::parse(slug).unwrap(),
            name: format!("Project {slug}"),
            security_email: None,
            users_list: None,
            security_model_url: None,
            team: vec![Email::parse(&format!("dev@{slug}.example.org")).unwrap()],
            policy: PolicyOverrides::default(),
            trusted: false,
        })
        .await
        .unwrap();
    store
        .project_by_slug(&ProjectSlug::parse(slug).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
}

fn by(project: ProjectId, slug: &str) -> StatementAuthor<'_> {
    StatementAuthor {
        project,
        slug,
        author: "alice@example.org",
        actor: "user:alice@example.org",
        at: Timestamp::now(),
    }
}

fn statement(cve: &str, component: &str, public: bool) -> Statement {
    Statement {
        vulnerability: cve.into(),
        aliases: vec![],
        component: Component {
            purl: Some(format!("pkg:maven/org.example/{component}")),
            name: format!("org.example:{component}"),
        },
        product_versions: None,
        status: VexStatus::NotAffected,
        justification: Some(Justification::VulnerableCodeNotInExecutePath),
        impact: Some(format!("SECRET-IMPACT of {cve}")),
        action: None,
        fixed_in: None,
        public,
        until: None,
    }
}

/// Organisation-level audit entries (actor, action, detail), oldest first.
async fn audit(store: &SqlStore) -> Vec<(String, String, String)> {
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
async fn statements_keep_every_version_refuse_stale_edits_and_are_withdrawn_not_deleted() {
    for (backend, store, _db) in fresh_store().await {
        let alpha = project(&store, "alpha").await;
        let beta = project(&store, "beta").await;
        let b = by(alpha, "alpha");

        let added = store
            .add_statement(&b, &statement("CVE-2022-42003", "databind", false))
            .await
            .unwrap();
        let id = added.stored.id;
        assert_eq!(added.stored.version, 1, "{backend}");
        assert_eq!(added.stored.author, "alice@example.org", "{backend}");

        let mut edited = statement("CVE-2022-42003", "databind", true);
        edited.status = VexStatus::Affected;
        edited.justification = None;
        edited.action = Some("Upgrade to 3.7.1.".into());
        let v2 = store.update_statement(&b, id, 1, &edited).await.unwrap();
        assert_eq!(v2.stored.version, 2, "{backend}");
        assert_eq!(v2.stored.statement, edited, "{backend}");

        // An edit made on version 1 again: stale, nothing written.
        let stale = store.update_statement(&b, id, 1, &edited).await;
        assert!(
            matches!(stale, Err(StoreError::Stale)),
            "{backend}: {stale:?}"
        );
        // Another project's id space: not found.
        let other = store
            .update_statement(&by(beta, "beta"), id, 2, &edited)
            .await;
        assert!(matches!(other, Err(StoreError::NotFound(_))), "{backend}");

        // Public only: the edited statement is public now.
        store
            .add_statement(&b, &statement("CVE-2024-1", "private-thing", false))
            .await
            .unwrap();
        assert_eq!(store.statements(alpha, false).await.unwrap().len(), 2);
        let public = store.statements(alpha, true).await.unwrap();
        assert_eq!(public.len(), 1, "{backend}");
        assert_eq!(public[0].stored.id, id, "{backend}");
        assert!(store.statements(beta, false).await.unwrap().is_empty());

        // Withdrawn: gone from the lists, kept with its history.
        let stale = store.withdraw_statement(&b, id, Some(1)).await;
        assert!(matches!(stale, Err(StoreError::Stale)), "{backend}");
        let w = store.withdraw_statement(&b, id, Some(2)).await.unwrap();
        assert!(w.withdrawn_at.is_some(), "{backend}");
        assert_eq!(store.statements(alpha, true).await.unwrap().len(), 0);
        let (record, history) = store.statement(alpha, id).await.unwrap().unwrap();
        assert_eq!(record.stored.version, 3, "{backend}");
        let changes: Vec<_> = history.iter().map(|v| (v.version, v.change)).collect();
        assert_eq!(
            changes,
            [
                (1, StatementChange::Added),
                (2, StatementChange::Edited),
                (3, StatementChange::Withdrawn)
            ],
            "{backend}"
        );
        assert_eq!(history[0].statement.status, VexStatus::NotAffected);
        assert_eq!(
            history[2].statement, edited,
            "{backend}: withdrawn as it was"
        );
        assert!(matches!(
            store.update_statement(&b, id, 3, &edited).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store.withdraw_statement(&b, id, None).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(
            store.statement(beta, id).await.unwrap().is_none(),
            "{backend}"
        );

        // The history cannot be rewritten, even by SQL.
        let rewrite = sqlx::query("DELETE FROM statement_versions")
            .execute(store.pool())
            .await;
        assert!(rewrite.is_err(), "{backend}: history is append-only");

        // Nothing of the content is in clear; the audit names numbers only.
        let rows = sqlx::query("SELECT content_sealed FROM statement_versions")
            .fetch_all(store.pool())
            .await
            .unwrap();
        for row in rows {
            let bytes: Vec<u8> = row.try_get("content_sealed").unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains("CVE-") && !text.contains("SECRET-IMPACT"),
                "{backend}: sealed"
            );
        }
        let entries = audit(&store).await;
        let actions: Vec<_> = entries.iter().map(|e| e.1.as_str()).collect();
        assert_eq!(
            actions,
            [
                "statement_added",
                "statement_edited",
                "statement_added",
                "statement_withdrawn"
            ],
            "{backend}"
        );
        assert!(
            entries
                .iter()
                .all(|(actor, _, d)| actor == "user:alice@example.org"
                    && !d.contains("CVE-")
                    && d.contains("alpha")),
            "{backend}: {entries:?}"
        );
    }
}

#[tokio::test]
async fn an_import_replaces_statements_on_the_same_subject_and_is_all_or_nothing() {
    for (backend, store, _db) in fresh_store().await {
        let alpha = project(&store, "alpha").await;
        let b = by(alpha, "alpha");
        let kept = store
            .add_statement(&b, &statement("CVE-2020-1", "kept", true))
            .await
            .unwrap();
        let replaced = store
            .add_statement(&b, &statement("cve-2020-2", "replaced", false))
            .await
            .unwrap();

        let mut file = vec![
            statement("CVE-2020-2", "replaced", true),
            statement("CVE-2020-3", "new", false),
            statement("CVE-2020-3", "new", true), // the same subject twice: both kept
        ];
        let first = store
            .replace_from_import(&b, &file, None, "suppressions.xml")
            .await
            .unwrap();
        assert_eq!(first.updated, [replaced.stored.id], "{backend}");
        assert_eq!(first.added.len(), 2, "{backend}");
        assert!(first.unchanged.is_empty(), "{backend}");
        assert_eq!(store.statements(alpha, false).await.unwrap().len(), 4);
        let (_, history) = store
            .statement(alpha, replaced.stored.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(history.len(), 2, "{backend}: the earlier version kept");
        assert_eq!(history[1].change, StatementChange::Imported);

        // The same file again: nothing changes.
        let again = store
            .replace_from_import(&b, &file, None, "suppressions.xml")
            .await
            .unwrap();
        assert_eq!(again.unchanged.len(), 3, "{backend}: {again:?}");
        assert!(again.added.is_empty() && again.updated.is_empty());

        // A failure after the statements (here: storing the file's other rules) leaves
        // nothing of the file behind.
        let refuse = match backend {
            "sqlite" => vec![
                "CREATE TRIGGER refuse BEFORE INSERT ON statement_rules \
                 BEGIN SELECT RAISE(ABORT, 'refused'); END",
            ],
            _ => vec![
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'refused'; END; $$",
                "CREATE TRIGGER refuse BEFORE INSERT ON statement_rules \
                 FOR EACH ROW EXECUTE FUNCTION refuse()",
            ],
        };
        for sql in refuse {
            sqlx::raw_sql(sql).execute(store.pool()).await.unwrap();
        }
        file[0].impact = Some("changed".into());
        file.push(statement("CVE-2020-4", "newer", false));
        let rules = ImportedRules {
            public: false,
            document: Some(b"<suppressions/>"),
        };
        let failed = store
            .replace_from_import(&b, &file, Some(rules), "suppressions.xml")
            .await;
        assert!(failed.is_err(), "{backend}");
        let now = store.statements(alpha, false).await.unwrap();
        assert_eq!(now.len(), 4, "{backend}: nothing added");
        assert!(
            now.iter()
                .all(|r| r.stored.statement.impact.as_deref() != Some("changed")),
            "{backend}: nothing updated"
        );
        let entries = audit(&store).await;
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.1 == "statements_imported")
                .count(),
            2,
            "{backend}: no audit entry for the refused file"
        );
        assert!(entries.iter().any(|e| e.2
            == "statements of alpha imported from suppressions.xml: 2 added, 1 updated, 0 unchanged"));
        sqlx::raw_sql("DROP TRIGGER refuse ON statement_rules")
            .execute(store.pool())
            .await
            .ok();
        sqlx::raw_sql("DROP TRIGGER refuse")
            .execute(store.pool())
            .await
            .ok();

        // The file's other rules are kept per file name, replaced by the same name.
        let rules = |doc: &'static [u8], public| ImportedRules {
            public,
            document: Some(doc),
        };
        store
            .replace_from_import(&b, &[], Some(rules(b"<a/>", false)), "one.xml")
            .await
            .unwrap();
        store
            .replace_from_import(&b, &[], Some(rules(b"<b/>", true)), "two.xml")
            .await
            .unwrap();
        store
            .replace_from_import(&b, &[], Some(rules(b"<c/>", false)), "one.xml")
            .await
            .unwrap();
        let all = store.statement_rules(alpha, false).await.unwrap();
        let docs: Vec<_> = all
            .iter()
            .map(|r| (r.source.as_str(), &r.document[..]))
            .collect();
        assert_eq!(
            docs,
            [("one.xml", &b"<c/>"[..]), ("two.xml", b"<b/>")],
            "{backend}"
        );
        assert_eq!(store.statement_rules(alpha, true).await.unwrap().len(), 1);
        store
            .replace_from_import(
                &b,
                &[],
                Some(ImportedRules {
                    public: false,
                    document: None,
                }),
                "two.xml",
            )
            .await
            .unwrap();
        assert_eq!(store.statement_rules(alpha, false).await.unwrap().len(), 1);
        let _ = kept;
    }
}

#[tokio::test]
async fn a_project_holds_at_most_the_bound_of_statements() {
    for (backend, store, _db) in fresh_store().await {
        let alpha = project(&store, "alpha").await;
        let b = by(alpha, "alpha");
        // Rows without content stand in for statements: only the count matters here.
        let fill = format!(
            "INSERT INTO statements (project_id, public, created_at, updated_at, version) \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) \
             SELECT {}, 0, 0, 0, 1 FROM n",
            MAX_STATEMENTS_PER_PROJECT - 1,
            alpha.0
        );
        sqlx::raw_sql(&fill).execute(store.pool()).await.unwrap();
        store
            .add_statement(&b, &statement("CVE-2020-1", "last", false))
            .await
            .unwrap();
        let over = store
            .add_statement(&b, &statement("CVE-2020-2", "over", false))
            .await;
        assert!(
            matches!(&over, Err(StoreError::Conflict(m)) if m.contains("at most 100000")),
            "{backend}: {over:?}"
        );
        let over = store
            .replace_from_import(&b, &[statement("CVE-2020-3", "x", false)], None, "f.json")
            .await;
        assert!(matches!(over, Err(StoreError::Conflict(_))), "{backend}");
        // A file that only replaces what is there is within the bound.
        let same = store
            .replace_from_import(&b, &[statement("CVE-2020-1", "last", true)], None, "f.json")
            .await
            .unwrap();
        assert_eq!(same.updated.len(), 1, "{backend}");
    }
}
