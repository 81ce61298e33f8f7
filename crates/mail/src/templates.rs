//! Lifecycle mail templates (minijinja), overridable per organisation and per project.
//!
//! The domain decides which notice goes to whom with which values
//! ([`embargo_domain::report::Notice`]) and words it the built-in way; a site may word
//! any notice its own way with a file in its templates directory:
//!
//! - `<dir>/<kind>.txt` for the whole organisation,
//! - `<dir>/<project-slug>/<kind>.txt` for one project (wins over the organisation's).
//!
//! A file's first line is `Subject: ...`; the body follows (one blank line after the
//! subject is skipped). Every template is compiled and rendered once with sample values
//! when the set is loaded, so a syntax error or an unknown variable stops the start with
//! the file and line, and never surfaces when a mail is queued.
//!
//! Values are inserted as text, never evaluated (a title containing `{{ }}` stays as
//! typed), and the subject is cut to one line, so nothing a reporter typed can add a
//! header. The subject always carries the `[EMB-…]` token replies thread on.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use embargo_app::outbox::MailRenderer;
use embargo_domain::report::{NoticeKind, OutgoingMail, Report};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

/// The values every template may use, besides its kind's own
/// ([`NoticeKind::vars`]).
pub const COMMON_VARS: &[&str] = &[
    "report_id",
    "title",
    "project",
    "project_slug",
    "reporter_name",
    "org_name",
    // The built-in wording, to wrap rather than replace.
    "default_subject",
    "default_body",
];

/// A template that cannot be used, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for TemplateError {}

/// The templates of one installation; with none loaded every mail keeps the built-in
/// wording.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    org_name: String,
    /// Template names by (project slug or `""` for the organisation, kind).
    names: HashMap<(String, NoticeKind), String>,
}

impl Templates {
    /// No overrides: the built-in wording everywhere.
    pub fn builtin(org_name: &str) -> Self {
        Self {
            env: environment(),
            org_name: org_name.to_string(),
            names: HashMap::new(),
        }
    }

    /// Loads `dir` (see the module documentation); every problem found is reported,
    /// one per line.
    pub fn load(dir: &Path, org_name: &str) -> Result<Self, Vec<TemplateError>> {
        let mut t = Self::builtin(org_name);
        let mut errors = Vec::new();
        let at = |file: &Path, message: String| TemplateError {
            file: file.to_path_buf(),
            line: None,
            message,
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => return Err(vec![at(dir, format!("cannot read the directory: {e}"))]),
        };
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                let slug = entry.file_name().to_string_lossy().into_owned();
                match std::fs::read_dir(&path) {
                    Ok(inner) => files.extend(inner.flatten().map(|e| (slug.clone(), e.path()))),
                    Err(e) => errors.push(at(&path, format!("cannot read the directory: {e}"))),
                }
            } else {
                files.push((String::new(), path));
            }
        }
        files.sort();
        for (scope, path) in files {
            if path.extension().and_then(|e| e.to_str()) != Some("txt") {
                continue;
            }
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            let Some(kind) = NoticeKind::ALL.into_iter().find(|k| k.as_str() == stem) else {
                let known: Vec<&str> = NoticeKind::ALL.iter().map(|k| k.as_str()).collect();
                errors.push(at(
                    &path,
                    format!(
                        "no mail is called {stem:?}; templates are named {}.txt",
                        known.join(".txt, ")
                    ),
                ));
                continue;
            };
            match std::fs::read_to_string(&path) {
                Ok(source) => match t.add(&scope, kind, &path, &source) {
                    Ok(()) => {}
                    Err(e) => errors.push(e),
                },
                Err(e) => errors.push(at(&path, format!("cannot read the file: {e}"))),
            }
        }
        if errors.is_empty() {
            Ok(t)
        } else {
            Err(errors)
        }
    }

    /// Adds the template `source` (read from `file`) for `kind` in `scope` (a project
    /// slug, or `""` for the organisation), checking it by rendering it once.
    pub fn add(
        &mut self,
        scope: &str,
        kind: NoticeKind,
        file: &Path,
        source: &str,
    ) -> Result<(), TemplateError> {
        let fail = |line: Option<usize>, message: String| TemplateError {
            file: file.to_path_buf(),
            line,
            message,
        };
        let source = source.replace("\r\n", "\n");
        let (first, rest) = source.split_once('\n').unwrap_or((source.as_str(), ""));
        let subject = first
            .strip_prefix("Subject:")
            .ok_or_else(|| fail(Some(1), "the first line must be \"Subject: ...\"".into()))?
            .trim()
            .to_string();
        // One blank line between the subject and the body is the header's end, not text.
        let (body, body_offset) = match rest.strip_prefix('\n') {
            Some(b) => (b.to_string(), 2),
            None => (rest.to_string(), 1),
        };
        let name = format!("{scope}/{}", kind.as_str());
        let compile = |env: &mut Environment<'static>, n: String, src: String, offset: usize| {
            env.add_template_owned(n, src).map_err(|e| {
                fail(
                    e.line().map(|l| l + offset),
                    e.detail().unwrap_or("invalid template").to_string(),
                )
            })
        };
        compile(&mut self.env, format!("{name}#subject"), subject, 0)?;
        compile(&mut self.env, format!("{name}#body"), body, body_offset)?;
        // Rendering once with every known value set finds unknown variables (the
        // environment is strict) and errors only visible when evaluated.
        let sample: BTreeMap<String, String> = COMMON_VARS
            .iter()
            .chain(kind.vars())
            .map(|v| ((*v).to_string(), format!("<{v}>")))
            .collect();
        for (part, offset) in [("subject", 0), ("body", body_offset)] {
            self.env
                .get_template(&format!("{name}#{part}"))
                .and_then(|tpl| tpl.render(sample.clone()))
                .map_err(|e| {
                    let what = match e.kind() {
                        minijinja::ErrorKind::UndefinedError => format!(
                            "unknown variable; {} may use {}",
                            kind.as_str(),
                            COMMON_VARS
                                .iter()
                                .chain(kind.vars())
                                .copied()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        _ => e.detail().unwrap_or("cannot be rendered").to_string(),
                    };
                    fail(e.line().map(|l| l + offset), what)
                })?;
        }
        self.names.insert((scope.to_string(), kind), name);
        Ok(())
    }

    /// How many overrides are loaded.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no override is loaded.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The subject and body of `mail`: the project's template, else the
    /// organisation's, else the built-in wording.
    pub fn render_mail(&self, report: &Report, mail: &OutgoingMail) -> (String, String) {
        let builtin = || (mail.subject.clone(), mail.body.clone());
        let Some(notice) = &mail.notice else {
            return builtin();
        };
        let slug = report.project.as_ref().map(|p| p.slug.to_string());
        let name = slug
            .and_then(|s| self.names.get(&(s, notice.kind)))
            .or_else(|| self.names.get(&(String::new(), notice.kind)));
        let Some(name) = name else { return builtin() };
        let mut vars: BTreeMap<String, String> = kind_defaults(notice.kind);
        vars.extend(notice.vars.clone());
        let project = report.project.as_ref();
        for (k, v) in [
            ("report_id", report.id.to_string()),
            ("title", report.title.clone()),
            (
                "project",
                project.map(|p| p.name.clone()).unwrap_or_default(),
            ),
            (
                "project_slug",
                project.map(|p| p.slug.to_string()).unwrap_or_default(),
            ),
            (
                "reporter_name",
                report.reporter.name.clone().unwrap_or_default(),
            ),
            ("org_name", self.org_name.clone()),
            ("default_subject", mail.subject.clone()),
            ("default_body", mail.body.clone()),
        ] {
            vars.insert(k.to_string(), v);
        }
        let render = |part: &str| {
            self.env
                .get_template(&format!("{name}#{part}"))
                .and_then(|t| t.render(vars.clone()))
        };
        match (render("subject"), render("body")) {
            (Ok(subject), Ok(body)) => (thread_subject(&report.id.to_string(), &subject), body),
            (Err(e), _) | (_, Err(e)) => {
                // Checked at load with every value set; should a template still fail,
                // the mail goes out in the built-in wording rather than not at all.
                tracing::warn!(template = %name, error = %e, "mail template failed; built-in wording used");
                builtin()
            }
        }
    }
}

impl MailRenderer for Templates {
    fn render(&self, report: &Report, mail: &OutgoingMail) -> (String, String) {
        self.render_mail(report, mail)
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Plain-text mail: nothing is HTML-escaped.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    // A body ends with the newline its file ends with, as the built-in wording would.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env
}

/// Every value of `kind`, empty: a value the domain did not give renders as nothing.
fn kind_defaults(kind: NoticeKind) -> BTreeMap<String, String> {
    kind.vars()
        .iter()
        .map(|v| ((*v).to_string(), String::new()))
        .collect()
}

/// One line (control characters, CR and LF included, become spaces) that carries the
/// report token, so that a reply threads and nothing can start a header.
fn thread_subject(report_id: &str, subject: &str) -> String {
    let line: String = subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    let token = format!("[{report_id}]");
    if line.contains(&token) {
        line
    } else {
        format!("{token} {line}")
    }
}
