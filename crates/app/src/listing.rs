//! The lists a member sees: only reports of the projects they handle, whatever the
//! query asked for. One query shape ([`ListQuery`], the URL's parameters) serves the
//! dashboard and the API, so both read every filter the same way and refuse a bad one
//! with the same words (docs/lists.md).

use embargo_domain::access::Member;
use embargo_domain::ids::ProjectSlug;
use embargo_domain::state::ReportState;
use embargo_domain::triage::TriageClass;
use embargo_store::{COUNT_CAP, ListCursor, ListOrder, OwnerFilter, ReportFilter, ReportSummary};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::error::{Error, Result};

/// Largest page of a list.
pub const MAX_LIMIT: u32 = 500;
/// A page as the dashboard shows it, unless the caller asks for more.
pub const DEFAULT_LIMIT: u32 = 50;

/// Which reports a member's list shows, as the URL says it (every field optional;
/// an empty one is no filter).
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ListQuery {
    /// Only this project's reports (slug; those the caller may see).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Only reports in this state.
    #[cfg_attr(feature = "openapi", param(value_type = Option<ReportState>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Only reports whose triage suggestion is of this class.
    #[cfg_attr(feature = "openapi", param(value_type = Option<TriageClass>))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triage: Option<String>,
    /// `me`, `none` (nobody has taken it) or a member's e-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `true` (or `1`): only reports past their next deadline now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue: Option<String>,
    /// Only reports received on or after this day (`YYYY-MM-DD`, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_from: Option<String>,
    /// Only reports received on or before this day (`YYYY-MM-DD`, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_to: Option<String>,
    /// `assigned` (a CVE id is given) or `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cve: Option<String>,
    /// `deadline` (soonest first; the default), `received` or `updated` (newest first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// Search words, phrases in quotes, id prefixes (docs/search.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// The page after this one: the `next_cursor` of the page before (keyset paging,
    /// as fast at any depth as on the first page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// At most this many (1 to 500; 50 when left out).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Skip this many (after `cursor` when given). Deep pages are cheaper by cursor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
}

/// Without the search words: they can name what is embargoed (a CVE id, a product's
/// flaw), and a debug line may end up in a log.
impl std::fmt::Debug for ListQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListQuery")
            .field("project", &self.project)
            .field("state", &self.state)
            .field("triage", &self.triage)
            .field("owner", &self.owner)
            .field("overdue", &self.overdue)
            .field("received_from", &self.received_from)
            .field("received_to", &self.received_to)
            .field("cve", &self.cve)
            .field("sort", &self.sort)
            .field("q", &self.q.as_ref().map(|_| "(search words withheld)"))
            .field("cursor", &self.cursor)
            .field("limit", &self.limit)
            .field("offset", &self.offset)
            .finish()
    }
}

/// A page of a list.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub rows: Vec<ReportSummary>,
    /// The cursor of the page after this one, when there may be one.
    pub next_cursor: Option<String>,
    pub order: ListOrder,
}

/// The dashboard's numbers: each capped at `COUNT_CAP` (`capped` says a figure is at
/// least that).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListCounts {
    pub overdue: i64,
    pub to_acknowledge: i64,
    pub mine: i64,
}

impl ListCounts {
    /// The most a figure counts to.
    pub const CAP: i64 = COUNT_CAP;
}

/// A filter's value, trimmed; `None` when absent or empty.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn day(field: &str, v: &str) -> Result<Date> {
    v.parse::<Date>()
        .map_err(|_| Error::invalid(field, format!("{v:?} is not a day; write it as YYYY-MM-DD")))
}

fn start_of(d: Date) -> Result<Timestamp> {
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|e| Error::invalid("received_from", e.to_string()))
}

impl ListQuery {
    fn order(&self) -> Result<ListOrder> {
        match given(&self.sort) {
            None => Ok(ListOrder::Deadline),
            Some(s) => ListOrder::parse(s).ok_or_else(|| {
                Error::invalid(
                    "sort",
                    format!("{s:?} is not an order (one of: deadline, received, updated)"),
                )
            }),
        }
    }

    /// The received-between filter as times: from the start of the first day to the
    /// start of the day after the last (both days included, UTC).
    fn received(&self) -> Result<(Option<Timestamp>, Option<Timestamp>)> {
        let from = given(&self.received_from)
            .map(|v| day("received_from", v))
            .transpose()?;
        let to = given(&self.received_to)
            .map(|v| day("received_to", v))
            .transpose()?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(Error::invalid(
                "received_to",
                format!("{t} is before received_from {f}"),
            ));
        }
        let before = to
            .map(|t| {
                t.tomorrow()
                    .map_err(|e| Error::invalid("received_to", e.to_string()))
            })
            .transpose()?;
        Ok((
            from.map(start_of).transpose()?,
            before.map(start_of).transpose()?,
        ))
    }

    fn limit(&self) -> u32 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// Every filter but the project and owner (which need the store), read and checked.
    fn filter(&self) -> Result<ReportFilter> {
        let order = self.order()?;
        let after = given(&self.cursor)
            .map(|c| {
                ListCursor::decode(c)
                    .filter(|c| c.order == order)
                    .ok_or_else(|| {
                        Error::invalid(
                            "cursor",
                            "is not a cursor of this list (use the next_cursor a page gave, \
                             with the same sort)",
                        )
                    })
            })
            .transpose()?;
        let overdue = match given(&self.overdue) {
            None | Some("0" | "false" | "off") => false,
            Some("1" | "true" | "on") => true,
            Some(v) => {
                return Err(Error::invalid(
                    "overdue",
                    format!("{v:?} is not true or false"),
                ));
            }
        };
        let (received_from, received_before) = self.received()?;
        let cve_assigned = match given(&self.cve) {
            None => None,
            Some("assigned") => Some(true),
            Some("none") => Some(false),
            Some(v) => {
                return Err(Error::invalid(
                    "cve",
                    format!("{v:?} is not a CVE filter (one of: assigned, none)"),
                ));
            }
        };
        Ok(ReportFilter {
            projects: None,
            state: given(&self.state).map(ReportState::parse).transpose()?,
            include_closed: true,
            triage: given(&self.triage).map(TriageClass::parse).transpose()?,
            after,
            due_before: overdue.then(Timestamp::now),
            owner: None,
            received_from,
            received_before,
            cve_assigned,
            search: embargo_domain::search::Query::parse(self.q.as_deref().unwrap_or(""))?,
            order,
            limit: self.limit(),
            offset: self.offset.unwrap_or(0),
        })
    }
}

impl App {
    /// The page of reports `member` handles that `q` asks for; only ever those the
    /// member may see.
    pub async fn list(&self, member: &Member, q: &ListQuery) -> Result<ListPage> {
        let mut filter = q.filter()?;
        filter.projects = self.projects_seen(member, given(&q.project)).await?;
        filter.owner = self.owner_filter(member, given(&q.owner)).await?;
        if filter.projects.as_ref().is_some_and(Vec::is_empty) {
            return Ok(ListPage {
                rows: vec![],
                next_cursor: None,
                order: filter.order,
            });
        }
        let limit = filter.limit;
        // One more than a page, to know whether a next page exists.
        filter.limit = limit.saturating_add(1);
        let mut rows = self.store().list_reports(&filter).await?;
        // Defence in depth: whatever the query returned, keep only what the member handles.
        rows.retain(|r| member.handles_project(r.project.as_ref().map(|p| p.id)));
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = rows
            .last()
            .filter(|_| more)
            .map(|r| ListCursor::after(r, filter.order).encode());
        Ok(ListPage {
            rows,
            next_cursor,
            order: filter.order,
        })
    }

    /// The dashboard's numbers for `member`: overdue now, waiting for an
    /// acknowledgement, owned by them.
    pub async fn list_counts(&self, member: &Member) -> Result<ListCounts> {
        let projects = self.projects_seen(member, None).await?;
        let base = ReportFilter {
            projects,
            include_closed: false,
            ..ReportFilter::default()
        };
        let store = self.store();
        Ok(ListCounts {
            overdue: store
                .count_reports(&ReportFilter {
                    due_before: Some(Timestamp::now()),
                    ..base.clone()
                })
                .await?,
            to_acknowledge: store
                .count_reports(&ReportFilter {
                    state: Some(ReportState::Received),
                    ..base.clone()
                })
                .await?,
            mine: store
                .count_reports(&ReportFilter {
                    owner: Some(OwnerFilter::User(member.id)),
                    ..base
                })
                .await?,
        })
    }

    /// The projects whose reports `member` may list (`None`: all, for the
    /// organisation team), narrowed to `slug` when given.
    async fn projects_seen(
        &self,
        member: &Member,
        slug: Option<&str>,
    ) -> Result<Option<Vec<embargo_domain::ids::ProjectId>>> {
        let mut projects = (!member.org_team).then(|| member.projects.clone());
        if let Some(slug) = slug {
            let slug = ProjectSlug::parse(slug)?;
            let p =
                self.store().project_by_slug(&slug).await?.ok_or_else(|| {
                    Error::invalid("project", format!("there is no project {slug}"))
                })?;
            match &mut projects {
                None => projects = Some(vec![p.id]),
                Some(ids) => ids.retain(|id| *id == p.id),
            }
        }
        Ok(projects)
    }

    /// `me`, `none` or a member's address, as a filter.
    async fn owner_filter(
        &self,
        member: &Member,
        owner: Option<&str>,
    ) -> Result<Option<OwnerFilter>> {
        Ok(match owner {
            None => None,
            Some("me") => Some(OwnerFilter::User(member.id)),
            Some("none") => Some(OwnerFilter::Nobody),
            Some(address) => {
                let owner = self.member_by_email(address).await?.ok_or_else(|| {
                    Error::invalid("owner", "is not a member's address (or use me, or none)")
                })?;
                Some(OwnerFilter::User(owner.id))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(f: impl FnOnce(&mut ListQuery)) -> Result<ReportFilter> {
        let mut q = ListQuery::default();
        f(&mut q);
        q.filter()
    }

    #[test]
    fn filters_are_read_or_refused_by_name() {
        let f = q(|q| {
            q.received_from = Some("2026-11-01".into());
            q.received_to = Some("2026-11-30".into());
            q.cve = Some("none".into());
            q.sort = Some("received".into());
            q.overdue = Some("1".into());
        })
        .unwrap();
        assert_eq!(f.received_from.unwrap().to_string(), "2026-11-01T00:00:00Z");
        // "to" is inclusive: the whole last day is in.
        assert_eq!(
            f.received_before.unwrap().to_string(),
            "2026-12-01T00:00:00Z"
        );
        assert_eq!(f.cve_assigned, Some(false));
        assert_eq!(f.order, ListOrder::Received);
        assert!(f.due_before.is_some());
        let err = |f: fn(&mut ListQuery)| q(f).unwrap_err().to_string();
        assert!(err(|q| q.sort = Some("size".into())).starts_with("sort:"));
        assert!(err(|q| q.cve = Some("yes".into())).starts_with("cve:"));
        assert!(err(|q| q.received_from = Some("11/01/2026".into())).contains("YYYY-MM-DD"));
        assert!(
            err(|q| {
                q.received_from = Some("2026-12-02".into());
                q.received_to = Some("2026-12-01".into());
            })
            .starts_with("received_to:")
        );
        assert!(err(|q| q.overdue = Some("maybe".into())).starts_with("overdue:"));
        // A cursor of one order is no cursor of another.
        let cursor = "r.1700000000000000.EMB-AAAAAAAAAAAA".to_string();
        assert!(
            err_with(cursor.clone(), None).starts_with("cursor:"),
            "a received cursor in a deadline list"
        );
        assert!(
            q(|q| {
                q.cursor = Some(cursor);
                q.sort = Some("received".into());
            })
            .is_ok()
        );
    }

    #[test]
    fn a_debug_line_never_holds_the_search_words() {
        let q = ListQuery {
            q: Some("CVE-2026-31337 widget overflow".into()),
            state: Some("received".into()),
            ..ListQuery::default()
        };
        let line = format!("{q:?}");
        assert!(
            !line.contains("31337") && !line.contains("widget"),
            "{line}"
        );
        assert!(line.contains("received"), "{line}");
    }

    fn err_with(cursor: String, sort: Option<String>) -> String {
        q(|q| {
            q.cursor = Some(cursor);
            q.sort = sort;
        })
        .unwrap_err()
        .to_string()
    }
}
