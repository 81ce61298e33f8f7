//! The figures' arithmetic: periods, the nearest-rank percentile, hit rates, counts by
//! month, channel and class, and what a report's state makes of its timeline.

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};

use super::*;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

fn fact(received: &str) -> Facts {
    Facts {
        project: Some(ProjectId(1)),
        channel: Channel::Web,
        class: Some(TriageClass::Report),
        received_at: t(received),
        acknowledged_at: None,
        decided_at: None,
        outcome: None,
        announced_at: None,
        published_at: None,
        acknowledge_due: None,
        decide_due: None,
        announce_due: None,
        cve_assigned: false,
    }
}

#[test]
fn nearest_rank_percentiles() {
    assert_eq!(percentile(&[], 50), None);
    assert_eq!(percentile(&[7], 50), Some(7));
    assert_eq!(percentile(&[7], 90), Some(7));
    // Even count: the lower of the middle two, never an interpolated value.
    assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
    assert_eq!(percentile(&[1, 2, 3, 4, 5], 50), Some(3));
    let ten: Vec<i64> = (1..=10).collect();
    assert_eq!(percentile(&ten, 90), Some(9));
    assert_eq!(percentile(&ten, 100), Some(10));
    let eleven: Vec<i64> = (1..=11).collect();
    // ⌈0.9 × 11⌉ = 10.
    assert_eq!(percentile(&eleven, 90), Some(10));
    assert_eq!(percentile(&ten, 0), Some(1), "p is at least 1");
}

#[test]
fn periods_are_whole_utc_months() {
    let today = date(2026, 3, 15);
    let p = Period::last_months(12, today).unwrap();
    assert_eq!((p.from, p.until), (date(2025, 4, 1), date(2026, 4, 1)));
    assert_eq!(p.months().len(), 12);
    assert_eq!(p.months()[0], "2025-04");
    assert_eq!(p.months()[11], "2026-03");
    assert_eq!(
        p.bounds(),
        (t("2025-04-01T00:00:00Z"), t("2026-04-01T00:00:00Z"))
    );
    let y = Period::year(2025, today).unwrap();
    assert_eq!(
        (y.from, y.until, y.year),
        (date(2025, 1, 1), date(2026, 1, 1), Some(2025))
    );
    assert_eq!(y.months().first().map(String::as_str), Some("2025-01"));
    assert_eq!(y.months().len(), 12);
    let err = Period::year(2027, today).unwrap_err().to_string();
    assert!(err.contains("2027 is not a year with figures"), "{err}");
    assert!(Period::year(1999, today).is_err());
    let err = Period::last_months(0, today).unwrap_err().to_string();
    assert!(err.contains("from 1 to 60"), "{err}");
    assert!(Period::last_months(61, today).is_err());
}

#[test]
fn counts_by_month_channel_class_and_outcome() {
    let period = Period::last_months(3, date(2026, 3, 10)).unwrap();
    let mut a = fact("2026-01-05T10:00:00Z");
    a.outcome = Some(Outcome::Accepted);
    a.cve_assigned = true;
    let mut b = fact("2026-03-01T00:00:00Z");
    b.channel = Channel::Email;
    b.class = Some(TriageClass::ScannerOutput);
    b.outcome = Some(Outcome::Closed);
    let mut c = fact("2026-03-31T23:59:59Z");
    c.channel = Channel::Api;
    c.class = None;
    let outside = fact("2025-12-31T23:59:59Z");
    let facts = vec![a, b, c, outside];
    let f = figures(&facts, &period, t("2026-03-10T00:00:00Z"));
    let months: Vec<(&str, u64)> = f
        .months
        .iter()
        .map(|m| (m.month.as_str(), m.figures.received))
        .collect();
    assert_eq!(months, [("2026-01", 1), ("2026-02", 0), ("2026-03", 2)]);
    assert_eq!(f.total.received, 3, "the December report is outside");
    assert_eq!(f.total.by_channel["web"], 1);
    assert_eq!(f.total.by_channel["email"], 1);
    assert_eq!(f.total.by_channel["api"], 1);
    assert_eq!(f.total.by_class["report"], 1);
    assert_eq!(f.total.by_class["scanner_output"], 1);
    assert_eq!(f.total.by_class[UNCLASSIFIED], 1);
    assert_eq!(f.total.by_class["spam"], 0, "every class is listed");
    assert_eq!(
        (
            f.total.accepted,
            f.total.closed,
            f.total.open,
            f.total.cves_assigned
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(f.months[2].figures.by_channel["api"], 1);
}

#[test]
fn times_from_receipt() {
    let now = t("2026-03-10T00:00:00Z");
    let facts: Vec<Facts> = [1, 2, 3, 10]
        .into_iter()
        .map(|h| {
            let mut f = fact("2026-03-01T00:00:00Z");
            f.acknowledged_at = Some(f.received_at + hours(h));
            f
        })
        .collect();
    let s = summarize(&facts, now);
    let ack = &s.times.acknowledge;
    assert_eq!(ack.count, 4);
    assert_eq!(ack.median_seconds, Some(2 * 3600));
    assert_eq!(ack.p90_seconds, Some(10 * 3600));
    assert_eq!(s.times.decide, Durations::default());
    // A clock that ran behind counts as no time, not negative time.
    let mut skewed = fact("2026-03-01T00:00:00Z");
    skewed.decided_at = Some(skewed.received_at - hours(1));
    assert_eq!(
        summarize([&skewed], now).times.decide.median_seconds,
        Some(0)
    );
}

#[test]
fn deadline_hit_rates() {
    let now = t("2026-03-10T00:00:00Z");
    let due = |f: &mut Facts, h: i64| f.acknowledge_due = Some(f.received_at + hours(h));
    let mut met = fact("2026-03-01T00:00:00Z");
    due(&mut met, 72);
    met.acknowledged_at = Some(met.received_at + hours(5));
    let mut late = fact("2026-03-01T00:00:00Z");
    due(&mut late, 72);
    late.acknowledged_at = Some(late.received_at + hours(80));
    let mut overdue = fact("2026-03-01T00:00:00Z");
    due(&mut overdue, 72);
    let mut not_yet = fact("2026-03-09T00:00:00Z");
    due(&mut not_yet, 72);
    let mut closed = fact("2026-03-01T00:00:00Z");
    due(&mut closed, 72);
    closed.outcome = Some(Outcome::Closed);
    let s = summarize([&met, &late, &overdue, &not_yet, &closed], now);
    let r = &s.deadlines.acknowledge;
    assert_eq!((r.due, r.met), (3, 1), "met, late, overdue; not the rest");
    assert_eq!(r.percent, Some(33.3));
    assert_eq!(s.deadlines.decide.percent, None, "nothing was due");

    // An accepted report still waits for its announcement.
    let mut accepted = fact("2026-01-01T00:00:00Z");
    accepted.outcome = Some(Outcome::Accepted);
    accepted.announce_due = Some(t("2026-02-01T00:00:00Z"));
    let mut announced = accepted.clone();
    announced.announced_at = Some(t("2026-01-20T00:00:00Z"));
    let s = summarize([&accepted, &announced], now);
    assert_eq!((s.deadlines.announce.due, s.deadlines.announce.met), (2, 1));
    assert_eq!(s.deadlines.announce.percent, Some(50.0));
}

#[test]
fn facts_of_a_report_follow_its_state() {
    // From JSON as the store keeps it: fields added later take their defaults.
    let received = t("2026-03-01T00:00:00Z");
    let mut r: Report = serde_json::from_str(
        r#"{"id":"EMB-ABCDEFGHJKMN","project":{"id":4,"slug":"p","name":"P"},
        "state":"received","title":"t","description":"d","affected_versions":null,
        "reporter":{"name":null,"email":null,"credit":null},"channel":"email",
        "received_at":"2026-03-01T00:00:00Z","acknowledged_at":null,"accepted_at":null,
        "announced_at":null,"deadlines":{"acknowledge_by":"2026-03-04T00:00:00Z",
        "discuss_by":null,"announce_by":null},"discussants":[],"disclosure_date":null,
        "cve_summary":null,"cve":null,"fix_ref":null,"release_ref":null,"version":1}"#,
    )
    .unwrap();
    let at = received + hours(30);
    let f = Facts::of(&r, Some(at));
    assert_eq!(
        (f.project, f.outcome, f.decided_at),
        (Some(ProjectId(4)), None, None)
    );
    assert_eq!(f.acknowledge_due, Some(received + hours(72)));

    r.state = ReportState::Rejected;
    let f = Facts::of(&r, Some(at));
    assert_eq!(
        (f.outcome, f.decided_at),
        (Some(Outcome::Rejected), Some(at))
    );

    r.state = ReportState::Fixed;
    r.accepted_at = Some(received + hours(10));
    r.record_state = Some(RecordState::Published);
    let f = Facts::of(&r, Some(at));
    assert_eq!(f.outcome, Some(Outcome::Accepted));
    assert_eq!(
        f.decided_at,
        Some(received + hours(10)),
        "the report's own time"
    );
    assert_eq!(f.published_at, Some(at));

    r.state = ReportState::Closed;
    r.triage = Some(crate::triage::Triage {
        class: TriageClass::Spam,
        reasons: vec![],
        duplicate_of: None,
        status: TriageStatus::Dismissed,
    });
    let f = Facts::of(&r, None);
    assert_eq!(
        (f.outcome, f.class),
        (Some(Outcome::Closed), Some(TriageClass::Report))
    );
}

#[test]
fn the_year_in_review_reads_like_a_report() {
    let mut a = fact("2025-05-01T00:00:00Z");
    a.outcome = Some(Outcome::Accepted);
    a.cve_assigned = true;
    a.acknowledged_at = Some(a.received_at + hours(26));
    let mut b = fact("2025-06-01T00:00:00Z");
    b.outcome = Some(Outcome::Rejected);
    let total = summarize([&a, &b], t("2026-01-10T00:00:00Z"));
    let y = year_in_review(2025, &total, 1);
    assert_eq!(
        (y.received, y.vulnerabilities, y.rejected, y.cves_assigned),
        (2, 1, 1, 1)
    );
    assert_eq!(
        y.sentences,
        [
            "In 2025 the security teams received 2 reports about 1 project.",
            "Of these, 1 was accepted as a vulnerability (1 CVE assigned), 1 rejected, 0 \
             closed as non-issues, 0 merged as duplicates; 0 still open.",
            "Median time from receipt to acknowledge 26.0 h.",
        ]
    );
    assert_eq!(human_duration(90), "2 min");
    assert_eq!(human_duration(3 * 86400 + 43200), "3.5 days");
}
