//! The projects data file (TOML, meant to live in git): parsing and validation.
//!
//! The whole file is checked before anything is stored, so a mistake in the tenth
//! project leaves the first nine untouched.

use anyhow::{Context, Result, bail};
use embargo_domain::ids::{Email, ProjectSlug};
use embargo_domain::policy::PolicyOverrides;
use embargo_store::ProjectInput;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    project: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    slug: String,
    name: String,
    /// The project's security list; absent means reports go to the organisation team.
    #[serde(default)]
    security_email: Option<String>,
    #[serde(default)]
    users_list: Option<String>,
    #[serde(default)]
    security_model_url: Option<String>,
    #[serde(default)]
    team: Vec<String>,
    #[serde(default)]
    policy: PolicyOverrides,
    /// The team assigns CVE ids from the pool itself (delegation as at the ASF).
    #[serde(default)]
    trusted: bool,
}

/// Parses and checks a projects file; errors name the project and the field.
pub fn parse(text: &str) -> Result<Vec<ProjectInput>> {
    let file: File = from_toml(text).context("the projects file is not valid")?;
    if file.project.is_empty() {
        bail!("the projects file has no [[project]] tables");
    }
    let mut seen = std::collections::HashSet::new();
    file.project
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let label = format!("project #{} ({:?})", i + 1, e.slug);
            let p = entry(e).with_context(|| label.clone())?;
            if !seen.insert(p.slug.clone()) {
                bail!("{label}: the slug appears twice in the file");
            }
            Ok(p)
        })
        .collect()
}

/// Deserializes TOML, reading native TOML dates (`holidays = [2026-12-25]`) as the
/// `YYYY-MM-DD` strings the domain's date type expects.
pub fn from_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    let mut value: toml::Value = toml::from_str(text)?;
    dates_to_strings(&mut value);
    Ok(value.try_into()?)
}

fn dates_to_strings(v: &mut toml::Value) {
    match v {
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => {
            *v = toml::Value::String(d.to_string());
        }
        toml::Value::Array(items) => items.iter_mut().for_each(dates_to_strings),
        toml::Value::Table(t) => t.iter_mut().for_each(|(_, v)| dates_to_strings(v)),
        _ => {}
    }
}

fn entry(e: Entry) -> Result<ProjectInput> {
    let email = |v: Option<String>| -> Result<Option<Email>> {
        Ok(match v.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(Email::parse(s)?),
        })
    };
    let name = embargo_domain::text::required_line("name", &e.name)?;
    if let Some(url) = &e.security_model_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        bail!("security_model_url: {url:?} is not an http(s) URL");
    }
    e.policy.validate()?;
    let mut team = e
        .team
        .iter()
        .map(|t| Email::parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    team.sort();
    team.dedup();
    Ok(ProjectInput {
        slug: ProjectSlug::parse(&e.slug)?,
        name,
        security_email: email(e.security_email)?,
        users_list: email(e.users_list)?,
        security_model_url: e.security_model_url,
        team,
        policy: e.policy,
        trusted: e.trusted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_parses() {
        let text = include_str!("../../../examples/projects.toml");
        let projects = parse(text).unwrap();
        assert!(projects.len() >= 2);
        let kafka = projects
            .iter()
            .find(|p| p.slug.as_str() == "kafka")
            .unwrap();
        assert_eq!(
            kafka.security_email.as_ref().unwrap().as_str(),
            "security@kafka.example.org"
        );
        assert!(!kafka.team.is_empty());
        assert!(kafka.trusted);
        assert!(
            projects.iter().any(|p| !p.trusted),
            "trust defaults to false"
        );
        // Kafka announces to its lists, the reporter and oss-security, as its PMC.
        let to: Vec<String> = kafka
            .policy
            .announce_to
            .iter()
            .flatten()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            to,
            [
                "users_list",
                "security_list",
                "reporter",
                "oss-security@lists.openwall.com"
            ]
        );
        assert_eq!(
            kafka.policy.announce_from.as_ref().map(|f| f.name.as_str()),
            Some("Apache Kafka PMC")
        );
        assert!(
            projects.iter().any(|p| p.policy.announce_to.is_none()),
            "the others keep the organisation's destinations"
        );
    }

    #[test]
    fn mistakes_name_the_project_and_field() {
        let err = |t: &str| format!("{:#}", parse(t).unwrap_err());
        assert!(err("").contains("no [[project]]"));
        assert!(err("[[project]]\nslug='Bad Slug'\nname='x'\n").contains("project #1"));
        let e = err("[[project]]\nslug='a'\nname='A'\nteam=['nope']\n");
        assert!(e.contains("\"a\"") && e.contains("email"), "{e}");
        let e = err("[[project]]\nslug='a'\nname='A'\n[project.policy]\ntime_zone='Mars/Base'\n");
        assert!(e.contains("Mars/Base"), "{e}");
        let e = err("[[project]]\nslug='a'\nname='A'\ncolour='red'\n");
        assert!(e.contains("colour"), "{e}");
        let e = err("[[project]]\nslug='a'\nname='A'\n[[project]]\nslug='a'\nname='B'\n");
        assert!(e.contains("twice"), "{e}");
        let e = err("[[project]]\nslug='a'\nname='A'\n[project.policy]\nannounce_to=['users']\n");
        assert!(e.contains("announce_to") && e.contains("users_list"), "{e}");
        let e = err("[[project]]\nslug='a'\nname='A'\n[project.policy]\nannounce_to=[]\n");
        assert!(e.contains("at least one destination"), "{e}");
        let e = err(
            "[[project]]\nslug='a'\nname='A'\n[project.policy]\nannounce_from='PMC <pmc at a.example>'\n",
        );
        assert!(e.contains("announce_from"), "{e}");
    }
}
