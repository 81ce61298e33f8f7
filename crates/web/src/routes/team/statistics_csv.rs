//! The statistics as CSV (RFC 4180): a header, then for each project one row per month
//! and a `total` row, and for the organisation team without a project filter the
//! organisation's rows (`project` = `*`). Unrouted reports are `project` = `-`. Times
//! are whole seconds from receipt; empty where nothing was measured.

use embargo_app::statistics::Statistics;
use embargo_domain::stats::{Durations, HitRate, MonthFigures, Summary};

const HEADER: &[&str] = &[
    "project",
    "month",
    "received",
    "web",
    "api",
    "email",
    "accepted",
    "rejected",
    "closed",
    "merged",
    "open",
    "cves_assigned",
    "acknowledge_count",
    "acknowledge_median_s",
    "acknowledge_p90_s",
    "decide_count",
    "decide_median_s",
    "decide_p90_s",
    "announce_count",
    "announce_median_s",
    "announce_p90_s",
    "publish_count",
    "publish_median_s",
    "publish_p90_s",
    "acknowledge_due",
    "acknowledge_met",
    "decide_due",
    "decide_met",
    "announce_due",
    "announce_met",
    "open_now",
    "overdue_now",
];

/// A field as RFC 4180 writes it: quoted when it holds a comma, quote or line break
/// (quotes doubled). A field a spreadsheet would take for a formula gets a leading
/// apostrophe first.
pub fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s != "-" {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn durations(out: &mut Vec<String>, d: &Durations) {
    out.push(d.count.to_string());
    out.push(d.median_seconds.map_or_else(String::new, |s| s.to_string()));
    out.push(d.p90_seconds.map_or_else(String::new, |s| s.to_string()));
}

fn hits(out: &mut Vec<String>, r: &HitRate) {
    out.push(r.due.to_string());
    out.push(r.met.to_string());
}

fn row(project: &str, month: &str, s: &Summary, now: Option<(u64, u64)>) -> String {
    let channel = |c: &str| s.by_channel.get(c).copied().unwrap_or(0).to_string();
    let mut out = vec![
        field(project),
        field(month),
        s.received.to_string(),
        channel("web"),
        channel("api"),
        channel("email"),
        s.accepted.to_string(),
        s.rejected.to_string(),
        s.closed.to_string(),
        s.merged.to_string(),
        s.open.to_string(),
        s.cves_assigned.to_string(),
    ];
    for d in [
        &s.times.acknowledge,
        &s.times.decide,
        &s.times.announce,
        &s.times.publish,
    ] {
        durations(&mut out, d);
    }
    for r in [
        &s.deadlines.acknowledge,
        &s.deadlines.decide,
        &s.deadlines.announce,
    ] {
        hits(&mut out, r);
    }
    let (open, overdue) = now.map_or((String::new(), String::new()), |(o, v)| {
        (o.to_string(), v.to_string())
    });
    out.push(open);
    out.push(overdue);
    out.join(",") + "\r\n"
}

fn rows(
    out: &mut String,
    project: &str,
    months: &[MonthFigures],
    total: &Summary,
    now: (u64, u64),
) {
    for m in months {
        out.push_str(&row(project, &m.month, &m.figures, None));
    }
    out.push_str(&row(project, "total", total, Some(now)));
}

/// The whole file.
pub fn render(stats: &Statistics) -> String {
    let mut out = HEADER.join(",") + "\r\n";
    for p in &stats.projects {
        let name = p
            .project
            .as_ref()
            .map_or("-".to_string(), |n| n.slug.to_string());
        rows(
            &mut out,
            &name,
            &p.figures.months,
            &p.figures.total,
            (p.open_now, p.overdue_now),
        );
    }
    if stats.organisation {
        rows(
            &mut out,
            "*",
            &stats.total.months,
            &stats.total.total,
            (stats.open_now, stats.overdue_now),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_and_defused() {
        assert_eq!(field("alpha"), "alpha");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=1+1"), "'=1+1");
        assert_eq!(field("-"), "-");
        assert_eq!(field("line\nbreak"), "\"line\nbreak\"");
    }
}
