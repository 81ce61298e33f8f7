//! What the reporter's status page says comes next (docs/process.md#the-status-page):
//! the step the team owes them and its deadline, in plain words. It tells only what
//! the reporter was already told (their own deadlines and the planned disclosure
//! date), nothing of the team's inner clocks or of other reports.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::report::Report;
use crate::state::ReportState;

/// A day as the page writes it: "Monday 7 December 2026".
fn day(date: Date) -> String {
    date.strftime("%A %-d %B %Y").to_string()
}

/// A deadline's day in UTC, the zone the status page states its times in.
fn due(at: Timestamp) -> Date {
    at.to_zoned(TimeZone::UTC).date()
}

/// "by <day>", or, once the day has passed, that it is late and a reply reminds them.
fn by(at: Timestamp, now: Timestamp, what: &str) -> String {
    if now > at {
        format!(
            "{what} by {} (UTC); that day has passed. A reply below reminds the team.",
            day(due(at))
        )
    } else {
        format!("{what} by {} (UTC).", day(due(at)))
    }
}

fn planned(report: &Report) -> String {
    report.disclosure_date.map_or_else(String::new, |d| {
        format!(" The announcement is planned for {}.", day(d))
    })
}

/// The next step of `report` as its reporter should read it at `now`.
pub fn for_reporter(report: &Report, now: Timestamp) -> String {
    let d = &report.deadlines;
    match report.state {
        ReportState::Received => d.acknowledge_by.map_or_else(
            || "The team will acknowledge your report.".into(),
            |at| by(at, now, "The team will acknowledge your report"),
        ),
        ReportState::Acknowledged => d.discuss_by.map_or_else(
            || "The team is assessing your report and will tell you whether it is accepted as a vulnerability.".into(),
            |at| by(at, now, "The team is assessing your report and should tell you whether it is accepted as a vulnerability"),
        ),
        ReportState::Accepted | ReportState::CveRequested | ReportState::CveAssigned => format!(
            "Your report is accepted as a vulnerability. Next, the team sends you the draft \
             announcement to review.{}",
            planned(report)
        ),
        ReportState::ReporterReview => format!(
            "Please review the draft announcement the team sent you and reply below if \
             anything should change.{}",
            planned(report)
        ),
        ReportState::Fixed => format!(
            "A fix is released; the announcement comes next.{}",
            planned(report)
        ),
        ReportState::Announced => report.announced_at.map_or_else(
            || "The vulnerability is announced. Nothing more is needed from you.".into(),
            |at| {
                format!(
                    "The vulnerability was announced on {}. Nothing more is needed from you.",
                    day(due(at))
                )
            },
        ),
        ReportState::Rejected => {
            "The team decided this is not a vulnerability; its reason is in the messages below."
                .into()
        }
        ReportState::Closed => {
            "The team answered and closed this report; the answer is in the messages below. \
             You can still reply."
                .into()
        }
        ReportState::Merged => {
            "Your report is handled together with another report of the same vulnerability. \
             If you gave an e-mail address, the draft announcement and the announcement \
             come to you there."
                .into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Deadlines;

    fn report(state: ReportState) -> Report {
        let new = crate::intake::Submission {
            title: "t".into(),
            description: "d".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        let email = crate::ids::Email::parse("security@example.org").unwrap();
        let contacts = crate::lifecycle::Contacts {
            org_name: "Example".into(),
            org_security: email.clone(),
            team: email,
            users_list: None,
            status_url: None,
            base_url: None,
            owner: None,
        };
        let mut r = crate::lifecycle::receive(
            new,
            crate::ids::ReportId::generate(),
            None,
            crate::report::Channel::Web,
            Timestamp::UNIX_EPOCH,
            &crate::policy::Policy::default(),
            &contacts,
        )
        .unwrap()
        .report;
        r.state = state;
        r
    }

    #[test]
    fn the_reporter_reads_the_next_deadline_as_a_day() {
        let now: Timestamp = "2026-12-03T10:00:00Z".parse().unwrap();
        let mut r = report(ReportState::Received);
        r.deadlines = Deadlines {
            acknowledge_by: Some("2026-12-07T10:00:00Z".parse().unwrap()),
            ..Deadlines::default()
        };
        assert_eq!(
            for_reporter(&r, now),
            "The team will acknowledge your report by Monday 7 December 2026 (UTC)."
        );
        let late: Timestamp = "2026-12-08T10:00:00Z".parse().unwrap();
        assert!(for_reporter(&r, late).contains("that day has passed"));
        let mut accepted = report(ReportState::Accepted);
        accepted.disclosure_date = Some("2027-01-15".parse().unwrap());
        assert!(
            for_reporter(&accepted, now)
                .ends_with("The announcement is planned for Friday 15 January 2027.")
        );
        for s in ReportState::ALL {
            assert!(!for_reporter(&report(s), now).is_empty(), "{s}");
        }
    }
}
