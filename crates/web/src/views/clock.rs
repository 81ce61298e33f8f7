//! Times as the team's pages show them: in the project's time zone (its policy's
//! `time_zone`), as `<time datetime="…Z" title="… UTC">local time and zone</time>`,
//! and deadlines with a hint a person reads at a glance ("in 2 working days",
//! "3 days late"), working days counted by the project's calendar (weekends and
//! its holidays off). The one place team pages format a time.

use std::collections::HashMap;
use std::fmt;

use embargo_app::model::Project;
use embargo_app::settings::Settings;
use embargo_domain::calendar::Calendar;
use embargo_domain::clocks::relative;
use embargo_domain::ids::ProjectSlug;
use embargo_domain::policy::Policy;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// One project's clock at one moment ("now" is fixed for the whole page, so every
/// hint on it agrees).
#[derive(Debug, Clone)]
pub struct Clock {
    tz: TimeZone,
    calendar: Option<Calendar>,
    now: Timestamp,
}

impl Clock {
    /// The clock of `policy`'s zone and calendar. A policy's zone is checked when the
    /// policy is loaded; should it still not resolve, times show in UTC rather than
    /// the page failing.
    pub fn new(policy: &Policy, now: Timestamp) -> Self {
        Self {
            tz: TimeZone::get(&policy.time_zone).unwrap_or(TimeZone::UTC),
            calendar: policy.calendar().ok(),
            now,
        }
    }

    /// `t` as a plain time.
    pub fn at(&self, t: Timestamp) -> Moment {
        Moment {
            at: t,
            local: self.local(t),
            hint: None,
            late: false,
        }
    }

    /// `t` as a deadline: with how far it is from now.
    pub fn due(&self, t: Timestamp) -> Moment {
        Moment {
            hint: Some(self.hint(t)),
            late: t < self.now,
            ..self.at(t)
        }
    }

    /// `t` as a deadline, or "—" when there is none.
    pub fn due_opt(&self, t: Option<Timestamp>) -> MaybeMoment {
        MaybeMoment(t.map(|t| self.due(t)))
    }

    fn local(&self, t: Timestamp) -> String {
        t.to_zoned(self.tz.clone())
            .strftime("%a %-d %b %Y %H:%M %Z")
            .to_string()
    }

    /// Past: calendar days (or hours) late. Within a day: hours or minutes. Further
    /// out: the working days left, counted in the project's calendar, since that is
    /// what a team plans with; a deadline with no working day before it (due on a
    /// Sunday, seen on a Friday) falls back to calendar days.
    fn hint(&self, due: Timestamp) -> String {
        if due < self.now || due.duration_since(self.now) < SignedDuration::from_hours(24) {
            return relative(due, self.now);
        }
        let Some(cal) = &self.calendar else {
            return relative(due, self.now);
        };
        let (today, last) = (cal.local_date(self.now), cal.local_date(due));
        let days = today
            .series(jiff::Span::new().days(1))
            .skip(1)
            .take_while(|d| *d <= last)
            // A deadline years out is bounded: the count stops counting at a year.
            .take(366)
            .filter(|d| cal.is_working_day(*d))
            .count();
        match days {
            0 => relative(due, self.now),
            1 => "in 1 working day".into(),
            n => format!("in {n} working days"),
        }
    }
}

/// A time ready for a page. Its `Display` is the HTML `<time>` element (and the
/// deadline's hint), built only from the timestamp and the zone's abbreviation, so
/// templates print it with `|safe`.
#[derive(Debug, Clone)]
pub struct Moment {
    at: Timestamp,
    local: String,
    hint: Option<String>,
    late: bool,
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            r#"<time datetime="{}" title="{}">{}</time>"#,
            self.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            super::when(self.at),
            escape(&self.local)
        )?;
        if let Some(h) = &self.hint {
            let class = if self.late {
                "relative late"
            } else {
                "relative"
            };
            write!(f, r#" <span class="{class}">({})</span>"#, escape(h))?;
        }
        Ok(())
    }
}

/// A time or a dash.
#[derive(Debug, Clone)]
pub struct MaybeMoment(pub Option<Moment>);

impl fmt::Display for MaybeMoment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(m) => m.fmt(f),
            None => f.write_str("—"),
        }
    }
}

/// Zone abbreviations are letters, digits and signs; escaped all the same, since the
/// output is printed unescaped.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The clocks of every project, for a page listing reports of several projects
/// (the dashboard); reports without a project use the organisation's policy.
pub struct Clocks {
    default: Clock,
    by_project: HashMap<ProjectSlug, Clock>,
}

impl Clocks {
    pub fn new(settings: &Settings, projects: &[Project], now: Timestamp) -> Self {
        Self {
            default: Clock::new(&settings.policy(None), now),
            by_project: projects
                .iter()
                .map(|p| (p.slug.clone(), Clock::new(&settings.policy(Some(p)), now)))
                .collect(),
        }
    }

    /// The clock of the project `slug` (the organisation's for none or an unknown one).
    pub fn of(&self, slug: Option<&ProjectSlug>) -> &Clock {
        slug.and_then(|s| self.by_project.get(s))
            .unwrap_or(&self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(zone: &str, now: &str) -> Clock {
        let policy = Policy {
            time_zone: zone.into(),
            holidays: vec!["2026-12-25".parse().unwrap_or_default()],
            ..Policy::default()
        };
        Clock::new(&policy, now.parse().unwrap_or(Timestamp::UNIX_EPOCH))
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn a_time_shows_in_the_project_zone_with_utc_in_the_title() {
        let c = clock("Europe/Amsterdam", "2026-06-01T08:00:00Z");
        assert_eq!(
            c.at(ts("2026-06-05T10:00:00Z")).to_string(),
            r#"<time datetime="2026-06-05T10:00:00Z" title="2026-06-05 10:00 UTC">Fri 5 Jun 2026 12:00 CEST</time>"#
        );
        // Winter time, the same zone.
        assert!(
            c.at(ts("2026-12-01T10:00:00Z"))
                .to_string()
                .ends_with(">Tue 1 Dec 2026 11:00 CET</time>")
        );
    }

    #[test]
    fn deadlines_count_working_days_ahead_and_calendar_days_late() {
        // Monday 1 June 2026, 10:00 in Amsterdam.
        let c = clock("Europe/Amsterdam", "2026-06-01T08:00:00Z");
        // Thursday: Tuesday, Wednesday, Thursday.
        assert_eq!(
            c.due(ts("2026-06-04T08:00:00Z")).hint.unwrap_or_default(),
            "in 3 working days"
        );
        // Next Monday: the weekend does not count.
        assert_eq!(
            c.due(ts("2026-06-08T08:00:00Z")).hint.unwrap_or_default(),
            "in 5 working days"
        );
        assert_eq!(
            c.due(ts("2026-06-01T13:00:00Z"))
                .hint
                .as_deref()
                .unwrap_or_default(),
            "in 5 hours"
        );
        let late = c.due(ts("2026-05-29T08:00:00Z"));
        assert_eq!(late.hint.as_deref().unwrap_or_default(), "3 days late");
        assert!(late.late);
        assert!(
            late.to_string()
                .contains(r#"class="relative late">(3 days late)"#)
        );
    }

    #[test]
    fn holidays_do_not_count_and_a_weekend_deadline_falls_back_to_days() {
        // Thursday 24 December: Friday 25 is a holiday, so Monday 28 is one working day.
        let c = clock("Europe/Amsterdam", "2026-12-24T09:00:00Z");
        assert_eq!(
            c.due(ts("2026-12-28T09:00:00Z"))
                .hint
                .as_deref()
                .unwrap_or_default(),
            "in 1 working day"
        );
        // Seen on Friday evening, due on Sunday: no working day in between.
        let c = clock("Europe/Amsterdam", "2026-06-05T18:00:00Z");
        assert_eq!(
            c.due(ts("2026-06-07T20:00:00Z"))
                .hint
                .as_deref()
                .unwrap_or_default(),
            "in 2 days"
        );
    }

    #[test]
    fn a_zone_that_does_not_resolve_shows_utc() {
        let c = clock("Mars/Olympus", "2026-06-01T08:00:00Z");
        assert!(
            c.at(ts("2026-06-01T08:00:00Z"))
                .to_string()
                .ends_with(">Mon 1 Jun 2026 08:00 UTC</time>")
        );
        assert_eq!(MaybeMoment(None).to_string(), "—");
    }
}
