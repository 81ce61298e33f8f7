//! Statements that expire (`until`, as Dependency-Check's suppressions do): the
//! project's team is reminded once, [`REMIND_DAYS`] before the date (or at once, for
//! a statement already past it), to renew, change or withdraw it. This module decides
//! when a reminder is due and words it; the server's reminder pass sends it.

use jiff::ToSpan;
use jiff::civil::Date;

use super::Statement;
use crate::ids::Email;
use crate::report::OutgoingMail;

/// Days before its expiry that a statement's reminder goes out.
pub const REMIND_DAYS: i64 = 14;

/// The last expiry date a reminder is due for on `today`.
pub fn horizon(today: Date) -> Date {
    today.saturating_add(REMIND_DAYS.days())
}

/// Where a reminder points and who gets it.
#[derive(Debug, Clone)]
pub struct ReminderTo<'a> {
    pub project_name: &'a str,
    /// The team page of the statement (`{base}/projects/{slug}/statements/{id}`).
    pub page: &'a str,
    pub team: &'a Email,
}

/// The reminder of statement `id`'s expiry, on `today`.
pub fn reminder(
    id: i64,
    statement: &Statement,
    until: Date,
    today: Date,
    to: &ReminderTo<'_>,
) -> OutgoingMail {
    let when = match (until - today).get_days() {
        d if d > 1 => format!("expires on {until}, in {d} days"),
        1 => format!("expires tomorrow, {until}"),
        0 => format!("expires today, {until}"),
        d => format!("expired on {until}, {} days ago", -d),
    };
    let component = if statement.component.is_any() {
        "the project as a whole".to_string()
    } else {
        statement
            .component
            .purl
            .clone()
            .unwrap_or_else(|| statement.component.name.clone())
    };
    OutgoingMail {
        to: vec![to.team.clone()],
        cc: vec![],
        subject: format!(
            "[{}] Statement #{id} on {} {}",
            to.project_name,
            statement.vulnerability,
            if until < today {
                "has expired"
            } else {
                "expires soon"
            }
        ),
        body: format!(
            "{}'s statement #{id} about {} in {component} ({}) {when}.\n\n\
             Review it: renew its expiry if it still holds, change it, or withdraw it.\n{}\n\n\
             Scanners and users read the project's statements; an expired statement is \
             still published until it is changed or withdrawn.",
            to.project_name,
            statement.vulnerability,
            statement.status.as_str(),
            to.page
        ),
        notice: None,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vex::{Component, VexStatus};

    #[test]
    fn reminders_say_when_and_what() {
        let s = Statement {
            vulnerability: "CVE-2022-42003".into(),
            aliases: vec![],
            component: Component {
                purl: Some("pkg:maven/com.fasterxml.jackson.core/jackson-databind".into()),
                name: "jackson-databind".into(),
            },
            product_versions: None,
            status: VexStatus::NotAffected,
            justification: None,
            impact: Some("never deserializes untrusted input".into()),
            action: None,
            fixed_in: None,
            public: true,
            until: None,
        };
        let team = Email::parse("security@kafka.example.org").unwrap();
        let to = ReminderTo {
            project_name: "Apache Kafka",
            page: "https://e.example/projects/kafka/statements/7",
            team: &team,
        };
        let today: Date = "2026-12-03".parse().unwrap();
        let m = reminder(7, &s, "2026-12-10".parse().unwrap(), today, &to);
        assert_eq!(m.to, vec![team.clone()]);
        assert_eq!(
            m.subject,
            "[Apache Kafka] Statement #7 on CVE-2022-42003 expires soon"
        );
        assert!(
            m.body.contains("expires on 2026-12-10, in 7 days"),
            "{}",
            m.body
        );
        assert!(
            m.body
                .contains("pkg:maven/com.fasterxml.jackson.core/jackson-databind (not_affected)")
        );
        let late = reminder(7, &s, "2026-12-01".parse().unwrap(), today, &to);
        assert!(late.subject.ends_with("has expired"));
        assert!(
            late.body.contains("expired on 2026-12-01, 2 days ago"),
            "{}",
            late.body
        );
        assert_eq!(horizon(today), "2026-12-17".parse().unwrap());
    }
}
