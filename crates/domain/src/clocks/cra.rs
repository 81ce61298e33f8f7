//! The EU Cyber Resilience Act's reports on an actively exploited vulnerability
//! (docs/cra.md). Once a team member flags a report as actively exploited, with the
//! time the team became aware of it, three stage clocks run:
//!
//! - **early warning** within 24 hours of awareness;
//! - **vulnerability notification** within 72 hours of awareness;
//! - **final report** within 14 days of the fix being available (the time the fix
//!   was recorded on the report).
//!
//! Each is reminded before it falls due and escalated to the organisation team on a
//! breach, like every clock, until the team marks the stage done. For each stage this
//! module fills a draft from the report: team-only, marked as an embargoed draft,
//! for the team to complete and send through the official channel themselves.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use strum::{EnumString, IntoStaticStr, VariantArray};

use super::timers::Clock;
use crate::DomainError;
use crate::report::Report;

/// One of the three reports.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, IntoStaticStr, EnumString, VariantArray, Serialize,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    EarlyWarning,
    Notification,
    FinalReport,
}

/// How far before awareness a flag may date it: a year (older is a typing error).
pub const MAX_AWARENESS_AGE: SignedDuration = SignedDuration::from_hours(24 * 366);

impl Stage {
    pub const ALL: [Stage; 3] = [Self::EarlyWarning, Self::Notification, Self::FinalReport];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The stage named in a URL, with a message naming the three otherwise.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        s.parse().map_err(|_| {
            DomainError::invalid(
                "stage",
                format!("{s:?} is not a CRA stage (early_warning, notification, final_report)"),
            )
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::EarlyWarning => "Early warning",
            Self::Notification => "Vulnerability notification",
            Self::FinalReport => "Final report",
        }
    }

    /// The clock that runs for it.
    pub fn clock(self) -> Clock {
        match self {
            Self::EarlyWarning => Clock::CraEarlyWarning,
            Self::Notification => Clock::CraNotification,
            Self::FinalReport => Clock::CraFinalReport,
        }
    }

    /// How long after its start (awareness; the fix for the final report) it is due.
    pub fn within(self) -> SignedDuration {
        match self {
            Self::EarlyWarning => SignedDuration::from_hours(24),
            Self::Notification => SignedDuration::from_hours(72),
            Self::FinalReport => SignedDuration::from_hours(24 * 14),
        }
    }

    /// How long before it falls due its reminder goes: half the day of the early
    /// warning, a day before the notification, three days before the final report.
    pub fn remind_before(self) -> SignedDuration {
        match self {
            Self::EarlyWarning => SignedDuration::from_hours(12),
            Self::Notification => SignedDuration::from_hours(24),
            Self::FinalReport => SignedDuration::from_hours(72),
        }
    }
}

/// Checks the time of awareness a member gives: not in the future (a minute's clock
/// skew allowed), not more than a year ago.
pub fn check_awareness(aware_at: Timestamp, now: Timestamp) -> Result<(), DomainError> {
    if aware_at > now + SignedDuration::from_mins(1) {
        return Err(DomainError::invalid(
            "aware_at",
            "the time of awareness cannot be in the future",
        ));
    }
    if aware_at < now - MAX_AWARENESS_AGE {
        return Err(DomainError::invalid(
            "aware_at",
            "the time of awareness is more than a year ago",
        ));
    }
    Ok(())
}

/// A stage's draft: titled fields, in order, for the text export and the JSON API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Draft {
    pub report: String,
    pub stage: Stage,
    /// Always "EMBARGOED DRAFT - team only": the draft is the team's, not a report sent.
    pub marking: &'static str,
    pub fields: Vec<(String, String)>,
}

pub const MARKING: &str = "EMBARGOED DRAFT - team only, do not forward";

/// What the draft says of something the report does not know yet.
const TO_FILL: &str = "(to be completed by the team)";

/// The draft of `stage` for `report`, flagged aware at `aware_at`, fixed at `fixed_at`.
pub fn draft(
    report: &Report,
    stage: Stage,
    aware_at: Timestamp,
    fixed_at: Option<Timestamp>,
) -> Draft {
    let or_fill = |v: Option<String>| {
        v.filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| TO_FILL.into())
    };
    let product = report.project.as_ref().map(|p| p.name.clone());
    let cve = report.cve.as_ref().map(ToString::to_string);
    let nature = report
        .cve_summary
        .clone()
        .or_else(|| Some(report.title.clone()));
    let mitigation = match (&report.fix_ref, &report.release_ref) {
        (Some(f), Some(r)) => Some(format!("Fixed by {f}, released in {r}")),
        (Some(f), None) => Some(format!("Fixed by {f}")),
        _ => None,
    };
    let mut fields: Vec<(&str, String)> = vec![
        ("Manufacturer's reference", report.id.to_string()),
        ("Product", or_fill(product)),
        (
            "Affected versions",
            or_fill(report.affected_versions.clone()),
        ),
        ("CVE", or_fill(cve)),
        (
            "Aware of active exploitation since",
            format!("{aware_at} (UTC)"),
        ),
        ("Member States concerned", TO_FILL.into()),
    ];
    if matches!(stage, Stage::Notification | Stage::FinalReport) {
        fields.extend([
            ("Nature of the vulnerability", or_fill(nature)),
            ("General nature of the exploit", TO_FILL.into()),
            (
                "Corrective or mitigating measures taken",
                or_fill(mitigation.clone()),
            ),
            ("Measures users can take", TO_FILL.into()),
            (
                "Sensitivity of this information",
                "Embargoed until announced".into(),
            ),
        ]);
    }
    if stage == Stage::FinalReport {
        fields.extend([
            (
                "Fix available since",
                or_fill(fixed_at.map(|t| format!("{t} (UTC)"))),
            ),
            (
                "Description, severity and impact",
                or_fill(report.cve_summary.clone()),
            ),
            ("Information on the malicious actor", TO_FILL.into()),
            (
                "Security update or other corrective measure",
                or_fill(mitigation),
            ),
        ]);
    }
    Draft {
        report: report.id.to_string(),
        stage,
        marking: MARKING,
        fields: fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    }
}

impl Draft {
    /// The plain-text export: the marking first and last, so no copy loses it.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{MARKING}\nCRA {} for {}\n\n",
            self.stage.label().to_lowercase(),
            self.report
        );
        for (k, v) in &self.fields {
            out.push_str(&format!("{k}:\n  {}\n\n", v.replace('\n', "\n  ")));
        }
        out.push_str(MARKING);
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clocks::timers::{Clock, schedule};
    use crate::policy::Policy;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn three_stages_from_awareness_and_the_fix() {
        let aware = t("2026-12-01T08:00:00Z");
        let p = Policy::default();
        let ew = schedule(Clock::CraEarlyWarning, aware, &p);
        assert_eq!(ew.due, t("2026-12-02T08:00:00Z"));
        assert_eq!(ew.remind_at, t("2026-12-01T20:00:00Z"));
        let n = schedule(Clock::CraNotification, aware, &p);
        assert_eq!(n.due, t("2026-12-04T08:00:00Z"));
        assert_eq!(n.remind_at, t("2026-12-03T08:00:00Z"));
        let fixed = t("2026-12-10T12:00:00Z");
        let f = schedule(Clock::CraFinalReport, fixed, &p);
        assert_eq!(f.due, t("2026-12-24T12:00:00Z"));
        assert_eq!(f.escalate_at, f.due);
        assert_eq!(f.remind_at, t("2026-12-21T12:00:00Z"));
        assert_eq!(Stage::parse("final_report").unwrap(), Stage::FinalReport);
        assert!(
            Stage::parse("late")
                .unwrap_err()
                .to_string()
                .contains("early_warning")
        );
    }

    #[test]
    fn awareness_is_neither_future_nor_ancient() {
        let now = t("2026-12-01T08:00:00Z");
        check_awareness(now - SignedDuration::from_hours(30), now).unwrap();
        assert!(check_awareness(now + SignedDuration::from_hours(2), now).is_err());
        assert!(check_awareness(now - SignedDuration::from_hours(24 * 400), now).is_err());
    }

    #[test]
    fn drafts_are_marked_and_filled_from_the_report() {
        let mut r = crate::clocks::timers::tests::report();
        r.cve = Some(crate::ids::CveId::parse("CVE-2026-10001").unwrap());
        r.fix_ref = Some("https://git.example.org/c/abc".into());
        let aware = t("2026-12-01T08:00:00Z");
        let early = draft(&r, Stage::EarlyWarning, aware, None);
        assert!(
            early
                .fields
                .iter()
                .any(|(k, v)| k == "CVE" && v == "CVE-2026-10001")
        );
        assert!(
            early
                .fields
                .iter()
                .any(|(k, v)| k == "Product" && v == "Alpha")
        );
        assert!(
            !early
                .fields
                .iter()
                .any(|(k, _)| k == "Nature of the vulnerability")
        );
        let last = draft(
            &r,
            Stage::FinalReport,
            aware,
            Some(t("2026-12-10T12:00:00Z")),
        );
        let text = last.text();
        assert!(text.starts_with(MARKING) && text.trim_end().ends_with(MARKING));
        assert!(text.contains("Fixed by https://git.example.org/c/abc"));
        assert!(text.contains("Fix available since:\n  2026-12-10T12:00:00Z (UTC)"));
    }
}
