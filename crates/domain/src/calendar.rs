//! Working days in a project's time zone, for deadlines ("3 working days",
//! docs/process.md#deadlines).

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

use crate::DomainError;

/// Weekends off (Saturday, Sunday) plus the given holidays, in one time zone.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: TimeZone,
    holidays: Vec<Date>,
}

impl Calendar {
    pub fn new(time_zone: &str, holidays: &[Date]) -> Result<Self, DomainError> {
        let tz = TimeZone::get(time_zone).map_err(|_| {
            DomainError::invalid(
                "time_zone",
                format!("{time_zone:?} is not an IANA time zone name (e.g. Europe/Amsterdam)"),
            )
        })?;
        let mut holidays = holidays.to_vec();
        holidays.sort();
        holidays.dedup();
        Ok(Self { tz, holidays })
    }

    pub fn is_working_day(&self, d: Date) -> bool {
        !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
            && self.holidays.binary_search(&d).is_err()
    }

    /// The local date of an instant in this calendar's zone.
    pub fn local_date(&self, t: Timestamp) -> Date {
        t.to_zoned(self.tz.clone()).date()
    }

    /// The moment `n` working days after `start`.
    ///
    /// Counted from the start's local time of day; a start on a day off counts from
    /// the beginning of the next working day, so a report sent on Saturday is due
    /// at the start of Thursday, not on Wednesday afternoon.
    pub fn add_working_days(&self, start: Timestamp, n: u32) -> Timestamp {
        let mut z: Zoned = start.to_zoned(self.tz.clone());
        if !self.is_working_day(z.date()) {
            let mut d = z.date();
            while !self.is_working_day(d) {
                d = next_day(d);
            }
            z = self.start_of(d);
        }
        let time = z.time();
        let mut d = z.date();
        for _ in 0..n {
            d = next_day(d);
            while !self.is_working_day(d) {
                d = next_day(d);
            }
        }
        // A local time skipped by a DST change resolves forward, which only ever
        // gives the team more time.
        d.to_datetime(time)
            .to_zoned(self.tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or_else(|_| self.start_of(next_day(d)).timestamp())
    }

    fn start_of(&self, d: Date) -> Zoned {
        d.to_zoned(self.tz.clone())
            .unwrap_or_else(|_| Timestamp::UNIX_EPOCH.to_zoned(self.tz.clone()))
    }
}

fn next_day(d: Date) -> Date {
    d.checked_add(1.day()).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn skips_weekends() {
        let cal = Calendar::new("UTC", &[]).unwrap();
        // Thursday 10:00 + 3 working days = Tuesday 10:00.
        assert_eq!(
            cal.add_working_days(ts("2026-11-19T10:00:00Z"), 3),
            ts("2026-11-24T10:00:00Z")
        );
        // Saturday counts from Monday 00:00: + 3 = Thursday 00:00.
        assert_eq!(
            cal.add_working_days(ts("2026-11-21T15:00:00Z"), 3),
            ts("2026-11-26T00:00:00Z")
        );
    }

    #[test]
    fn skips_holidays_in_the_projects_zone() {
        let cal = Calendar::new(
            "Europe/Amsterdam",
            &[date(2026, 12, 25), date(2026, 12, 28)],
        )
        .unwrap();
        // Wednesday 23 Dec 2026, 09:00 in Amsterdam (08:00Z). Thu 24 (1), Fri 25 holiday,
        // weekend, Mon 28 holiday, Tue 29 (2), Wed 30 (3).
        assert_eq!(
            cal.add_working_days(ts("2026-12-23T08:00:00Z"), 3),
            ts("2026-12-30T08:00:00Z")
        );
        // 23:30Z on Friday is already Saturday in Amsterdam: counted from Monday.
        let cal = Calendar::new("Europe/Amsterdam", &[]).unwrap();
        assert_eq!(
            cal.add_working_days(ts("2026-11-20T23:30:00Z"), 1),
            ts("2026-11-23T23:00:00Z")
        );
    }

    #[test]
    fn unknown_zone_is_refused() {
        assert!(Calendar::new("Nowhere/Atlantis", &[]).is_err());
    }

    proptest! {
        #[test]
        fn deadline_is_later_and_on_a_working_day(secs in 1_600_000_000i64..2_000_000_000, n in 1u32..30) {
            let cal = Calendar::new("America/New_York", &[date(2026, 7, 3)]).unwrap();
            let start = Timestamp::from_second(secs).unwrap();
            let due = cal.add_working_days(start, n);
            prop_assert!(due > start);
            prop_assert!(cal.is_working_day(cal.local_date(due)));
            // Never sooner than n whole days, never later than n weekdays plus weekends and the holiday.
            let span = due.as_second() - start.as_second();
            prop_assert!(span >= i64::from(n) * 86_400 - 3_600);
            prop_assert!(span <= (i64::from(n) * 7 / 5 + 5) * 86_400);
        }
    }
}
