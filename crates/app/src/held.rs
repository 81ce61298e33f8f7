//! Held mail: bounces, auto-replies and mail the sender rules held, for the
//! organisation team only (anyone else gets `NotFound`, as for a page that does not
//! exist). The list's filters (state, kind of reason, sender, dates), one discard or
//! many, each audited; and the sender of a held mail, for the "Block sender" form.

use embargo_domain::access::{Actor, Member};
use embargo_store::{
    HeldCategory, HeldFilter, HeldListing, HeldState, MAX_BULK_DISCARD, MAX_HELD_LISTED,
};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::App;
use crate::error::{Error, Result};

/// Longest sender filter (an address is at most 254 characters).
const MAX_SENDER_FILTER_CHARS: usize = 254;

/// The held list's filters as the doors get them (the page's query, the API's query):
/// loose text, checked by [`HeldQuery::filter`].
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct HeldQuery {
    /// `held` (the default), `released` or `discarded`.
    #[serde(default)]
    pub state: Option<String>,
    /// The kind of reason: `bounce`, `auto_reply`, `blocked_sender`,
    /// `throttled_sender` or `unknown_sender`.
    #[serde(default)]
    pub reason: Option<String>,
    /// Text the sender's address contains (case-insensitive), e.g. `@spam.example`.
    #[serde(default)]
    pub sender: Option<String>,
    /// Received on or after this day (YYYY-MM-DD, UTC) or instant (RFC 3339).
    #[serde(default)]
    pub from: Option<String>,
    /// Received on or before this day (YYYY-MM-DD, UTC, the whole day) or instant.
    #[serde(default)]
    pub to: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl HeldQuery {
    /// The filter these fields ask for; `Invalid` naming the field otherwise.
    pub fn filter(&self) -> Result<HeldFilter> {
        let state = match given(&self.state) {
            None => HeldState::Held,
            Some(s) => HeldState::parse(s).ok_or_else(|| {
                Error::invalid(
                    "state",
                    format!("{s:?} is not one of held, released, discarded"),
                )
            })?,
        };
        let category = given(&self.reason)
            .map(|s| {
                HeldCategory::parse(s).ok_or_else(|| {
                    let all: Vec<&str> = HeldCategory::ALL.iter().map(|c| c.as_str()).collect();
                    Error::invalid("reason", format!("{s:?} is not one of {}", all.join(", ")))
                })
            })
            .transpose()?;
        let sender = given(&self.sender)
            .map(|s| {
                if s.chars().count() > MAX_SENDER_FILTER_CHARS {
                    Err(Error::invalid(
                        "sender",
                        format!("is longer than {MAX_SENDER_FILTER_CHARS} characters"),
                    ))
                } else if s.chars().any(char::is_control) {
                    Err(Error::invalid("sender", "must be one line of text"))
                } else {
                    Ok(s.to_lowercase())
                }
            })
            .transpose()?;
        let received_from = given(&self.from)
            .map(|s| instant("from", s, false))
            .transpose()?;
        let received_before = given(&self.to)
            .map(|s| instant("to", s, true))
            .transpose()?;
        if let (Some(from), Some(before)) = (received_from, received_before)
            && before <= from
        {
            return Err(Error::invalid("to", "is before from"));
        }
        Ok(HeldFilter {
            state,
            category,
            sender,
            received_from,
            received_before,
        })
    }
}

/// A day (UTC) or an RFC 3339 instant; with `end`, the instant just after it (the end
/// of the day, or one microsecond after the instant), for an exclusive bound.
fn instant(field: &str, s: &str, end: bool) -> Result<Timestamp> {
    let bad = || {
        Error::invalid(
            field,
            format!("{s:?} is not a date (YYYY-MM-DD) or a time (2026-06-01T10:00:00Z)"),
        )
    };
    if let Ok(day) = s.parse::<Date>() {
        let day = if end {
            day.tomorrow().map_err(|_| bad())?
        } else {
            day
        };
        return day
            .to_zoned(TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|_| bad());
    }
    let t: Timestamp = s.parse().map_err(|_| bad())?;
    Ok(if end {
        t.checked_add(SignedDuration::from_micros(1))
            .map_err(|_| bad())?
    } else {
        t
    })
}

/// Which held mails a bulk discard takes.
#[derive(Debug, Clone)]
pub enum BulkDiscard {
    /// These, picked one by one.
    Selected(Vec<i64>),
    /// Those matching the filter (held ones only), received up to `as_of` when given
    /// (the moment the list was shown, so that mail arriving since is not discarded
    /// unseen); at most [`MAX_BULK_DISCARD`] per request, newest first.
    Matching {
        filter: HeldFilter,
        as_of: Option<Timestamp>,
    },
}

/// What a bulk discard did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discarded {
    pub discarded: u64,
    /// Still held and matching (a second request takes the next ones).
    pub remaining: u64,
}

impl App {
    /// `NotFound` for anyone but the organisation team: the doors ask first, so that
    /// how they answer bad input never tells others that held mail or sender rules
    /// exist.
    pub fn org_team_only(&self, member: &Member) -> Result<()> {
        require_org_team(member)
    }

    /// The held mails `filter` asks for, newest first (at most [`MAX_HELD_LISTED`]),
    /// how many match, and how many are still held in all.
    pub async fn held_mails(
        &self,
        member: &Member,
        filter: &HeldFilter,
    ) -> Result<(HeldListing, i64)> {
        require_org_team(member)?;
        let listing = self.store().held_listing(filter, MAX_HELD_LISTED).await?;
        Ok((listing, self.store().held_count().await?))
    }

    /// Discards a held mail (audited).
    pub async fn discard_held(&self, member: &Member, id: i64) -> Result<()> {
        require_org_team(member)?;
        Ok(self
            .store()
            .discard_held(
                id,
                member.id,
                &Actor::Member(member.clone()).audit_name(),
                Timestamp::now(),
            )
            .await?)
    }

    /// Discards many held mails in one transaction, each audited as a single discard
    /// is. Selected ids that do not exist refuse the whole request; ones released or
    /// discarded meanwhile are passed over.
    pub async fn discard_held_bulk(
        &self,
        member: &Member,
        what: &BulkDiscard,
    ) -> Result<Discarded> {
        require_org_team(member)?;
        let (ids, remaining_filter) = match what {
            BulkDiscard::Selected(ids) => {
                if ids.is_empty() {
                    return Err(Error::invalid("ids", "select at least one held mail"));
                }
                if ids.len() > MAX_BULK_DISCARD {
                    return Err(Error::invalid(
                        "ids",
                        format!(
                            "{} selected; at most {MAX_BULK_DISCARD} are discarded at once",
                            ids.len()
                        ),
                    ));
                }
                (ids.clone(), None)
            }
            BulkDiscard::Matching { filter, as_of } => {
                if filter.state != HeldState::Held {
                    return Err(Error::invalid(
                        "state",
                        "only held mail can be discarded; filter on state held",
                    ));
                }
                let mut filter = filter.clone();
                if let Some(as_of) = as_of {
                    let end = as_of
                        .checked_add(SignedDuration::from_micros(1))
                        .unwrap_or(*as_of);
                    filter.received_before = Some(match filter.received_before {
                        Some(before) => before.min(end),
                        None => end,
                    });
                }
                let ids = self.store().held_ids(&filter, MAX_BULK_DISCARD).await?;
                (ids, Some(filter))
            }
        };
        let discarded = if ids.is_empty() {
            0
        } else {
            self.store()
                .discard_held_many(
                    &ids,
                    member.id,
                    &Actor::Member(member.clone()).audit_name(),
                    Timestamp::now(),
                )
                .await?
        };
        let remaining = match remaining_filter {
            Some(filter) => self.store().held_listing(&filter, 0).await?.matching,
            None => 0,
        };
        Ok(Discarded {
            discarded,
            remaining,
        })
    }

    /// The sender's address of a held mail, for the form that blocks it; `None` when
    /// the mail has none.
    pub async fn held_sender(&self, member: &Member, id: i64) -> Result<Option<String>> {
        require_org_team(member)?;
        let (info, _) = self.store().held_mail(id).await?.ok_or(Error::NotFound)?;
        Ok(info.from)
    }
}

pub(crate) fn require_org_team(member: &Member) -> Result<()> {
    if member.org_team {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(state: &str, reason: &str, sender: &str, from: &str, to: &str) -> HeldQuery {
        let s = |v: &str| Some(v.to_string());
        HeldQuery {
            state: s(state),
            reason: s(reason),
            sender: s(sender),
            from: s(from),
            to: s(to),
        }
    }

    #[test]
    fn filters_are_read_from_loose_text() {
        let f = HeldQuery::default().filter().unwrap();
        assert_eq!(f, HeldFilter::state(HeldState::Held));
        let f = q(
            "discarded",
            "auto_reply",
            " @Spam.Example ",
            "2026-06-01",
            "2026-06-02",
        )
        .filter()
        .unwrap();
        assert_eq!(f.state, HeldState::Discarded);
        assert_eq!(f.category, Some(HeldCategory::AutoReply));
        assert_eq!(f.sender.as_deref(), Some("@spam.example"));
        assert_eq!(
            f.received_from,
            Some("2026-06-01T00:00:00Z".parse().unwrap())
        );
        assert_eq!(
            f.received_before,
            Some("2026-06-03T00:00:00Z".parse().unwrap()),
            "the whole last day"
        );
        let f = q("", "", "", "2026-06-01T10:00:00Z", "").filter().unwrap();
        assert_eq!(
            f.received_from,
            Some("2026-06-01T10:00:00Z".parse().unwrap())
        );

        for (query, field) in [
            (q("gone", "", "", "", ""), "state"),
            (q("", "spam", "", "", ""), "reason"),
            (q("", "", &"x".repeat(255), "", ""), "sender"),
            (q("", "", "a\u{7}", "", ""), "sender"),
            (q("", "", "", "yesterday", ""), "from"),
            (q("", "", "", "", "2026-13-01"), "to"),
            (q("", "", "", "2026-06-02", "2026-06-01"), "to"),
        ] {
            match query.filter() {
                Err(Error::Invalid { field: f, message }) => {
                    assert_eq!(f, field, "{message}");
                }
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
