//! Who may see what: the one visibility rule. A member sees the reports of the
//! projects whose team they are on; the organisation team sees every report (and alone
//! the unrouted ones); a reporter sees only their own report, through its status link.
//! [`access`] applies it to one report and [`Member::handles_project`] to a list or a
//! search, so single reports, lists and search cannot disagree. The application layer
//! (`embargo_app`) asks here for every report it loads or lists, and the web's
//! `TeamReport` extractor goes through it, so no handler can skip it. What each role
//! may *do* with a report it sees is decided by `lifecycle`.

use crate::ids::{Email, ProjectId, ReportId, UserId};
use crate::report::Report;

/// A signed-in member of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: UserId,
    pub email: Email,
    pub name: String,
    /// Member of the organisation security team (the CNA): sees every report.
    pub org_team: bool,
    /// Projects whose security team this member is on.
    pub projects: Vec<ProjectId>,
}

/// Whoever is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    /// Holder of one report's private status link.
    Reporter(ReportId),
    Member(Member),
}

impl Actor {
    /// The audit log's name for this actor.
    pub fn audit_name(&self) -> String {
        match self {
            Self::Anonymous => "anonymous".into(),
            Self::Reporter(_) => "reporter".into(),
            Self::Member(m) => format!("user:{}", m.email),
        }
    }
    pub fn member(&self) -> Option<&Member> {
        match self {
            Self::Member(m) => Some(m),
            _ => None,
        }
    }
}

impl Member {
    /// On the team that handles this report: the organisation team handles all, and
    /// alone handles reports that no project was found for.
    pub fn handles(&self, report: &Report) -> bool {
        self.handles_project(report.project.as_ref().map(|p| p.id))
    }

    /// The same rule by the report's project alone (`None`: unrouted), for lists.
    pub fn handles_project(&self, project: Option<ProjectId>) -> bool {
        self.org_team || project.is_some_and(|p| self.projects.contains(&p))
    }
}

/// What an actor may do with one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Not even its existence: callers answer 404.
    None,
    /// The reporter's view: their own text and the messages meant for them.
    Reporter,
    /// The team's view: everything, and the lifecycle actions.
    Team,
}

pub fn access(actor: &Actor, report: &Report) -> Access {
    match actor {
        Actor::Anonymous => Access::None,
        Actor::Reporter(id) if *id == report.id => Access::Reporter,
        Actor::Reporter(_) => Access::None,
        Actor::Member(m) if m.handles(report) => Access::Team,
        Actor::Member(_) => Access::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ProjectSlug;
    use crate::report::{Channel, Deadlines, ProjectRef, Reporter};
    use crate::state::ReportState;

    fn report(project: Option<i64>) -> Report {
        Report {
            id: ReportId::generate(),
            project: project.map(|p| ProjectRef {
                id: ProjectId(p),
                slug: ProjectSlug::parse("p").unwrap(),
                name: "P".into(),
                trusted: false,
            }),
            state: ReportState::Received,
            title: "t".into(),
            description: "d".into(),
            affected_versions: None,
            reporter: Reporter::default(),
            channel: Channel::Web,
            received_at: jiff::Timestamp::UNIX_EPOCH,
            acknowledged_at: None,
            accepted_at: None,
            announced_at: None,
            deadlines: Deadlines::default(),
            discussants: vec![],
            disclosure_date: None,
            cve_summary: None,
            cve: None,
            fix_ref: None,
            release_ref: None,
            cna_record: None,
            record_state: None,
            merged_into: None,
            split_from: None,
            triage: None,
            owner: None,
            merged: vec![],
            version: 1,
        }
    }

    fn member(org: bool, projects: &[i64]) -> Actor {
        Actor::Member(Member {
            id: UserId(1),
            email: Email::parse("m@example.org").unwrap(),
            name: "M".into(),
            org_team: org,
            projects: projects.iter().map(|&p| ProjectId(p)).collect(),
        })
    }

    #[test]
    fn lists_and_single_reports_use_the_same_rule() {
        for project in [None, Some(1), Some(2)] {
            let r = report(project);
            for (org, projects) in [(true, &[][..]), (false, &[1][..]), (false, &[2, 3][..])] {
                let Actor::Member(m) = member(org, projects) else {
                    unreachable!()
                };
                assert_eq!(
                    m.handles_project(project.map(ProjectId)),
                    access(&Actor::Member(m.clone()), &r) == Access::Team,
                    "{project:?} {org} {projects:?}"
                );
            }
        }
    }

    #[test]
    fn each_role_sees_only_what_it_should() {
        let r = report(Some(1));
        assert_eq!(access(&Actor::Anonymous, &r), Access::None);
        assert_eq!(access(&Actor::Reporter(r.id.clone()), &r), Access::Reporter);
        assert_eq!(
            access(&Actor::Reporter(ReportId::generate()), &r),
            Access::None
        );
        assert_eq!(access(&member(false, &[2]), &r), Access::None);
        assert_eq!(access(&member(false, &[1]), &r), Access::Team);
        assert_eq!(access(&member(true, &[]), &r), Access::Team);
        let unrouted = report(None);
        assert_eq!(access(&member(false, &[1, 2]), &unrouted), Access::None);
        assert_eq!(access(&member(true, &[]), &unrouted), Access::Team);
    }
}
