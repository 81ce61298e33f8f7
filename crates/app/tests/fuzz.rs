//! Property-based fuzzing of the JSON API's request bodies: each body type the API
//! deserializes (`ApiJson<T>` in embargo-web is axum's `Json<T>`, i.e. serde_json) read
//! from arbitrary bytes and from arbitrary JSON built with the bodies' own field names,
//! then put through the checks that need no database: `Submission::parse`,
//! `TransitionRequest::command`, `CnaRecord::problems`, `Statement::validate`, the
//! triage class. The property: no panic; bad input is a clean `Err` with a message.
//!
//! Cases per test: `EMBARGO_FUZZ_CASES` (default 2,000, for CI's budget); the full run
//! is `EMBARGO_FUZZ_CASES=100000 cargo test --release -p embargo-app --test fuzz`
//! (docs/operations.md, "Fuzzing").

use embargo_app::senders::{LiftRequest, SenderRuleRequest};
use embargo_app::{OwnerRequest, TransitionRequest, TriageRequest};
use embargo_domain::ids::CveId;
use embargo_domain::intake::Submission;
use embargo_domain::record::CnaRecord;
use embargo_domain::triage::TriageClass;
use embargo_domain::vex::Statement;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Cases per property: `EMBARGO_FUZZ_CASES`, else 2,000.
fn config() -> Config {
    Config {
        cases: embargo_testkit::fuzz_cases(),
        max_shrink_iters: 2_000,
        ..Config::default()
    }
}

/// The bodies' field names, so generated objects get past "unknown field".
const KEYS: &[&str] = &[
    "project",
    "title",
    "description",
    "affected_versions",
    "reporter_name",
    "reporter_email",
    "credit",
    "to",
    "message",
    "reason",
    "disclosure_date",
    "summary",
    "cve",
    "fix_ref",
    "release_ref",
    "decision",
    "class",
    "owner",
    "pattern",
    "action",
    "per_day",
    "vulnerability",
    "aliases",
    "component",
    "purl",
    "name",
    "product_versions",
    "status",
    "justification",
    "impact",
    "fixed_in",
    "public",
    "until",
    "product",
    "vendor",
    "versions",
    "version",
    "less_than",
    "less_than_or_equal",
    "references",
    "url",
    "tags",
    "cwes",
    "cwe",
    "severity",
    "cvss",
    "credits",
    "kind",
    "timeline",
    "collection_url",
    "package_name",
    "default_status",
    "changes",
    "at",
];

const WORDS: &[&str] = &[
    "kafka",
    "unknown",
    "",
    " ",
    "accepted",
    "rejected",
    "cve_assigned",
    "fixed",
    "acknowledged",
    "received",
    "merged",
    "closed",
    "announced",
    "reporter_review",
    "cve_requested",
    "2026-02-30",
    "2026-06-01",
    "9999-12-31",
    "CVE-2024-12345",
    "CVE-1-1",
    "confirm",
    "dismiss",
    "reopen",
    "spam",
    "me",
    "none",
    "ann@example.net",
    "@spam.example",
    "block",
    "throttle",
    "not_affected",
    "affected",
    "fixed",
    "under_investigation",
    "code_not_reachable",
    "pkg:maven/a/b@1",
    "pkg:",
    "*",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CWE-79",
    "https://example.org",
    "\u{0}",
    "\u{202e}",
    "a\nb",
    "semver",
    "< 1.2",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(WORDS).prop_map(str::to_string),
        2 => "\\PC{0,30}",
        1 => any::<String>(),
        1 => "[ -~]{290,310}",
    ]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (prop_oneof![4 => prop::sample::select(KEYS).prop_map(str::to_string), 1 => "[a-z_]{0,10}"], inner),
                0..10,
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Reads `bytes` as the API does; an error has a message a person can read.
fn read<T: DeserializeOwned>(bytes: &[u8]) -> Result<Option<T>, TestCaseError> {
    match serde_json::from_slice::<T>(bytes) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            prop_assert!(!e.to_string().is_empty());
            Ok(None)
        }
    }
}

/// Every body type, read and checked as far as a check needs no database.
fn check_bodies(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Some(sub) = read::<Submission>(bytes)?
        && let Err(e) = sub.parse()
    {
        prop_assert!(!e.to_string().is_empty());
    }
    if let Some(req) = read::<TransitionRequest>(bytes)? {
        for pool in [None, CveId::parse("CVE-2024-12345").ok()] {
            if let Err(e) = req.command(|| pool) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
    if let Some(req) = read::<TriageRequest>(bytes)?
        && let Some(class) = req.class.as_deref()
    {
        let _ = TriageClass::parse(class.trim());
    }
    if let Some(record) = read::<CnaRecord>(bytes)? {
        for p in record.problems() {
            let shown = format!("{p:?}");
            prop_assert!(!shown.is_empty());
        }
    }
    if let Some(s) = read::<Statement>(bytes)?
        && let Ok(valid) = s.validate()
    {
        // Valid once, valid again unchanged.
        prop_assert_eq!(valid.clone().validate().ok(), Some(valid));
    }
    let _ = read::<OwnerRequest>(bytes)?;
    let _ = read::<SenderRuleRequest>(bytes)?;
    let _ = read::<LiftRequest>(bytes)?;
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn api_bodies_of_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        check_bodies(&bytes)?;
    }

    #[test]
    fn api_bodies_of_arbitrary_json_never_panic(doc in json()) {
        check_bodies(&serde_json::to_vec(&doc).unwrap_or_default())?;
    }

    #[test]
    fn api_bodies_of_deep_nesting_never_panic(depth in 0..5_000usize, open in prop::sample::select(&["[", "{\"title\":"][..])) {
        // serde_json stops at 128 levels: a clean error, not a stack overflow.
        let body = open.repeat(depth);
        check_bodies(body.as_bytes())?;
    }
}
