//! The overdue board (docs/clocks.md#the-overdue-board): what is late, grouped by
//! project, the latest first within each, with which deadline and by how long.
//! Unrouted reports (the organisation team's to route) come first.

use jiff::Timestamp;
use serde::Serialize;

/// One late deadline of one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LateItem {
    pub report: String,
    pub title: String,
    /// The deadline's key ("acknowledge", "cve_record", "cra_early_warning", …).
    pub deadline: &'static str,
    /// Its words for people ("Acknowledge", "Publish the CVE record", …).
    pub label: &'static str,
    pub due: Timestamp,
    /// How late, in seconds (positive).
    pub late_seconds: i64,
    /// How late, for people: "3 days late".
    pub late: String,
}

/// The late items of one project (`slug` `None`: unrouted reports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectGroup {
    pub project: String,
    pub slug: Option<String>,
    pub items: Vec<LateItem>,
}

/// A late item before grouping: its project (slug, name) if routed.
pub struct Late {
    pub project: Option<(String, String)>,
    pub report: String,
    pub title: String,
    pub deadline: &'static str,
    pub label: &'static str,
    pub due: Timestamp,
}

/// Groups what is late at `now` (items not yet due are left out).
pub fn board(items: Vec<Late>, now: Timestamp) -> Vec<ProjectGroup> {
    let mut groups: Vec<ProjectGroup> = Vec::new();
    for item in items.into_iter().filter(|i| i.due < now) {
        let slug = item.project.as_ref().map(|(s, _)| s.clone());
        let late = LateItem {
            late_seconds: now.duration_since(item.due).as_secs(),
            late: super::relative(item.due, now),
            report: item.report,
            title: item.title,
            deadline: item.deadline,
            label: item.label,
            due: item.due,
        };
        match groups.iter_mut().find(|g| g.slug == slug) {
            Some(g) => g.items.push(late),
            None => groups.push(ProjectGroup {
                project: item
                    .project
                    .map_or_else(|| "Unrouted".to_string(), |(_, name)| name),
                slug,
                items: vec![late],
            }),
        }
    }
    for g in &mut groups {
        g.items
            .sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.report.cmp(&b.report)));
    }
    groups.sort_by(|a, b| {
        a.slug
            .is_some()
            .cmp(&b.slug.is_some())
            .then_with(|| a.project.to_lowercase().cmp(&b.project.to_lowercase()))
    });
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn late(project: Option<&str>, report: &str, due: &str) -> Late {
        Late {
            project: project.map(|p| (p.to_lowercase(), p.to_string())),
            report: report.into(),
            title: "t".into(),
            deadline: "acknowledge",
            label: "Acknowledge",
            due: due.parse().unwrap(),
        }
    }

    #[test]
    fn grouped_by_project_latest_first_unrouted_on_top() {
        let now: Timestamp = "2026-12-10T00:00:00Z".parse().unwrap();
        let groups = board(
            vec![
                late(Some("Beta"), "EMB-3", "2026-12-09T00:00:00Z"),
                late(Some("Alpha"), "EMB-1", "2026-12-08T00:00:00Z"),
                late(Some("Beta"), "EMB-2", "2026-12-01T00:00:00Z"),
                late(None, "EMB-4", "2026-12-09T12:00:00Z"),
                late(Some("Alpha"), "EMB-5", "2026-12-11T00:00:00Z"),
            ],
            now,
        );
        let names: Vec<&str> = groups.iter().map(|g| g.project.as_str()).collect();
        assert_eq!(names, ["Unrouted", "Alpha", "Beta"]);
        let beta: Vec<&str> = groups[2].items.iter().map(|i| i.report.as_str()).collect();
        assert_eq!(beta, ["EMB-2", "EMB-3"]);
        assert_eq!(groups[2].items[0].late, "9 days late");
        // Not yet due: not on the board.
        assert_eq!(groups[1].items.len(), 1);
    }
}
