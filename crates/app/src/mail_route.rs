//! Routing by recipient: a project's own address, plus-addressing on a known address
//! (`security+kafka@`), or the organisation team when nothing names a project.

use embargo_domain::ids::Email;
use embargo_store::Project;

/// The project the recipients name, if any; `None` means the organisation team.
/// A project address anywhere among the recipients wins over the organisation's.
pub fn route<'a>(
    recipients: &[String],
    org: &Email,
    projects: &'a [Project],
) -> Option<&'a Project> {
    let org = org.as_str().to_ascii_lowercase();
    let is_ours = |addr: &str| {
        addr == org
            || projects.iter().any(|p| {
                p.security_email
                    .as_ref()
                    .is_some_and(|e| e.as_str().eq_ignore_ascii_case(addr))
            })
    };
    for rcpt in recipients {
        let rcpt = rcpt.trim().to_ascii_lowercase();
        if let Some(p) = projects.iter().find(|p| {
            p.security_email
                .as_ref()
                .is_some_and(|e| e.as_str().eq_ignore_ascii_case(&rcpt))
        }) {
            return Some(p);
        }
        let Some((local, domain)) = rcpt.rsplit_once('@') else {
            continue;
        };
        let Some((base, tag)) = local.split_once('+') else {
            continue;
        };
        if is_ours(&format!("{base}@{domain}"))
            && let Some(p) = projects
                .iter()
                .find(|p| p.slug.as_str().eq_ignore_ascii_case(tag))
        {
            return Some(p);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use embargo_domain::ids::{ProjectId, ProjectSlug};
    use embargo_domain::policy::PolicyOverrides;

    fn project(id: i64, slug: &str, email: Option<&str>) -> Project {
        Project {
            id: ProjectId(id),
            slug: ProjectSlug::parse(slug).unwrap(),
            name: slug.into(),
            security_email: email.map(|e| Email::parse(e).unwrap()),
            users_list: None,
            security_model_url: None,
            policy: PolicyOverrides::default(),
            team: vec![],
            trusted: false,
        }
    }

    #[test]
    fn recipients_pick_the_project() {
        let org = Email::parse("security@apache.org").unwrap();
        let projects = vec![
            project(1, "kafka", Some("security@kafka.apache.org")),
            project(2, "dapr", None),
        ];
        let r = |rcpts: &[&str]| {
            route(
                &rcpts.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                &org,
                &projects,
            )
            .map(|p| p.slug.as_str().to_string())
        };
        assert_eq!(r(&["Security@Kafka.Apache.org"]), Some("kafka".into()));
        assert_eq!(
            r(&["security@apache.org", "security@kafka.apache.org"]),
            Some("kafka".into())
        );
        assert_eq!(r(&["security+dapr@apache.org"]), Some("dapr".into()));
        assert_eq!(
            r(&["security+kafka@kafka.apache.org"]),
            Some("kafka".into())
        );
        assert_eq!(r(&["security+nope@apache.org"]), None);
        assert_eq!(
            r(&["someone+dapr@elsewhere.org"]),
            None,
            "plus-addressing only on our addresses"
        );
        assert_eq!(r(&["security@apache.org"]), None);
        assert_eq!(r(&[]), None);
    }
}
