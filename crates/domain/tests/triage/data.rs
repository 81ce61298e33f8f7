//! The labelled triage messages (`tests/data/triage/*.toml`), read by the `triage` test
//! and the `triage` bench. One file per class; `project.toml` is a project's policy
//! overrides, used for the messages marked `project = true`.
#![allow(
    dead_code,
    reason = "shared by the test and the bench, which read different parts"
)]

use std::path::{Path, PathBuf};

use embargo_domain::policy::{Policy, PolicyOverrides};
use embargo_domain::report::Channel;
use embargo_domain::triage::{Incoming, TriageClass};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    message: Vec<Message>,
}

/// One labelled message, as intake would store it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub label: TriageClass,
    pub channel: Channel,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub affected_versions: Option<String>,
    /// Classified with the test project's policy (`project.toml`) on top.
    #[serde(default)]
    pub project: bool,
    /// `"later"`: written after a first version of the rules was frozen; its accuracy
    /// is printed separately.
    #[serde(default)]
    pub batch: Option<String>,
    /// Why a hard case is hard (for people; the test does not read it).
    #[serde(default)]
    pub note: Option<String>,
}

impl Message {
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming {
            title: &self.title,
            description: &self.description,
            affected_versions: self.affected_versions.as_deref(),
            channel: self.channel,
            reporter_email: None,
        }
    }
}

/// The set: messages named `file#n`, the organisation's policy, the project's.
pub struct Set {
    pub messages: Vec<(String, Message)>,
    pub organisation: Policy,
    pub project: Policy,
}

impl Set {
    /// The policy a message is classified with.
    pub fn policy_for(&self, m: &Message) -> &Policy {
        if m.project {
            &self.project
        } else {
            &self.organisation
        }
    }
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/triage")
}

pub fn load() -> Set {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("tests/data/triage")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| p.file_stem().is_some_and(|s| s != "project"))
        .collect();
    files.sort();
    let mut messages = Vec::new();
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a UTF-8 file name")
            .to_string();
        let text = std::fs::read_to_string(&path).expect("readable");
        let file: File = toml::from_str(&text).unwrap_or_else(|e| panic!("{stem}.toml: {e}"));
        for (i, m) in file.message.into_iter().enumerate() {
            messages.push((format!("{stem}#{}", i + 1), m));
        }
    }
    let overrides: PolicyOverrides =
        toml::from_str(&std::fs::read_to_string(dir().join("project.toml")).expect("project.toml"))
            .expect("project.toml is a project's policy overrides");
    overrides
        .validate()
        .expect("project.toml passes validation");
    let organisation = Policy::default();
    let project = overrides.apply_to(&organisation);
    Set {
        messages,
        organisation,
        project,
    }
}
