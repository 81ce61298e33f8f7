//! What the tests of every Embargo crate share, in one place (a dev-dependency only):
//!
//! - where the shared corpus is ([`corpus`], [`corpus_or_skip`]);
//! - the one rule for a test that needs something outside Rust ([`skip_or_fail`]): where
//!   it is missing the test prints `SKIPPED: what (why)` and passes, except under
//!   `CI=true`, where it fails, because `.ci/run` installs everything and CI must skip
//!   nothing;
//! - probes for the external tools the tests use — programs such as chromium and
//!   chromedriver ([`require_program`]), Python modules ([`require_python`]), npm
//!   packages ([`require_npm_package`]) — each with a non-skipping twin that only asks;
//! - ports for child processes ([`listening_address`], and [`unbound_port`] where a race
//!   cannot be avoided).
//!
//! PostgreSQL is the one dependency not found here: `embargo_store::test_support`
//! decides the backends (it follows the same rule).

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Names the corpus directory; without it, `shared/corpus` beside the workspace.
pub const CORPUS_ENV: &str = "EMBARGO_CORPUS";

/// Names the npm prefix the BSI CSAF validator is installed under; without it,
/// `$HOME/.cache/embargo-npm` (where `.ci/run` installs it).
pub const NPM_PREFIX_ENV: &str = "EMBARGO_NPM_PREFIX";

// ---------------------------------------------------------------------------------------
// The rule
// ---------------------------------------------------------------------------------------

/// Whether this is CI (`CI=true`), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The one rule for a test that cannot run `what` because of `why` (a missing program,
/// module, package or the corpus): print `SKIPPED: what (why)` and let the caller return,
/// or, under `CI=true`, fail the test here.
///
/// The line goes to the process's standard error directly, past libtest's capture (which
/// only takes the print macros' output), so that a skip is seen even when every test
/// passes.
#[track_caller]
pub fn skip_or_fail(what: &str, why: &str) {
    assert!(
        !in_ci(),
        "{what}: {why}, and CI=true must skip nothing (.ci/run installs every dependency)"
    );
    let _ = writeln!(std::io::stderr(), "SKIPPED: {what} ({why})");
}

// ---------------------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------------------

/// Where the corpus should be: `EMBARGO_CORPUS`, else `../shared/corpus` relative to
/// the workspace (the layout of a developer's and CI's checkout). It may not exist.
pub fn corpus_path() -> PathBuf {
    match std::env::var_os(CORPUS_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            // This crate is `<workspace>/crates/testkit`.
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .nth(2)
                .unwrap_or(Path::new("."));
            workspace.join("../shared/corpus")
        }
    }
}

/// The corpus directory, when it is there.
pub fn corpus() -> Option<PathBuf> {
    let dir = corpus_path();
    dir.is_dir().then_some(dir)
}

/// The corpus directory, or `None` after [`skip_or_fail`] said that `what` needs it.
#[track_caller]
pub fn corpus_or_skip(what: &str) -> Option<PathBuf> {
    let found = corpus();
    if found.is_none() {
        skip_or_fail(
            what,
            &format!("no corpus at {}; set {CORPUS_ENV}", corpus_path().display()),
        );
    }
    found
}

// ---------------------------------------------------------------------------------------
// External tools
// ---------------------------------------------------------------------------------------

/// The first of `names` that is a file in a directory of `PATH` (or in `/usr/bin`,
/// where Debian puts chromium and chromedriver).
pub fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.push(PathBuf::from("/usr/bin"));
    names.iter().find_map(|name| {
        dirs.iter()
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// [`find_program`], or `None` after [`skip_or_fail`] said that `what` needs one of
/// `names` (alternatives, such as `["chromium", "chromium-browser"]`).
#[track_caller]
pub fn require_program(what: &str, names: &[&str]) -> Option<PathBuf> {
    let found = find_program(names);
    if found.is_none() {
        skip_or_fail(what, &format!("{} not installed", names.join(" or ")));
    }
    found
}

/// Whether `python3` runs and imports every one of `modules`.
pub fn python_has(modules: &[&str]) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {}", modules.join(", "))])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// [`python_has`], after [`skip_or_fail`] said that `what` needs the modules when it
/// is false.
#[track_caller]
pub fn require_python(what: &str, modules: &[&str]) -> bool {
    let found = python_has(modules);
    if !found {
        skip_or_fail(
            what,
            &format!(
                "python3 with {} not found; python3 -m pip install {}",
                modules.join(" and "),
                modules.join(" ")
            ),
        );
    }
    found
}

/// The npm prefix the tests' npm packages are installed under: `EMBARGO_NPM_PREFIX`,
/// else `$HOME/.cache/embargo-npm`.
pub fn npm_prefix() -> Option<PathBuf> {
    match std::env::var_os(NPM_PREFIX_ENV) {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/embargo-npm")),
    }
}

/// The directory of the npm `package` (such as `@secvisogram/csaf-validator-lib`) under
/// [`npm_prefix`], when it is installed there and `node` runs.
pub fn npm_package(package: &str) -> Option<PathBuf> {
    let dir = npm_prefix()?.join("node_modules").join(package);
    if !dir.join("package.json").is_file() {
        return None;
    }
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    node.then_some(dir)
}

/// [`npm_package`], or `None` after [`skip_or_fail`] said that `what` needs it.
#[track_caller]
pub fn require_npm_package(what: &str, package: &str) -> Option<PathBuf> {
    let found = npm_package(package);
    if found.is_none() {
        let prefix =
            npm_prefix().map_or_else(|| format!("${NPM_PREFIX_ENV}"), |p| p.display().to_string());
        skip_or_fail(
            what,
            &format!(
                "node with {package} under {prefix} not found; npm install --prefix {prefix} {package}"
            ),
        );
    }
    found
}

// ---------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------
//
// In the test process, bind `127.0.0.1:0` and pass the listener (or its address) on:
// nothing can take the port in between. A child process that prints the address it
// bound (`embargo serve` says "Embargo is listening on ADDR (…)" and "SMTP receiver
// listening on ADDR"; chromedriver with `--port=0` names its port; the tests' Python
// SMTP relay prints "READY PORT") is started on port 0 and its address read from its
// output with `listening_address`.

/// Cases per fuzzing property: `EMBARGO_FUZZ_CASES`, else 2,000 (what keeps CI within
/// its budget; docs/operations.md#fuzzing gives the full run).
pub fn fuzz_cases() -> u32 {
    std::env::var("EMBARGO_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

/// The group-commit counters in a `/metrics` exposition: (transactions, intakes they
/// held), from `embargo_intake_commits_total` and `embargo_intake_committed_total`;
/// `None` when the text has them not (PostgreSQL has no group commit).
pub fn intake_commits(metrics: &str) -> Option<(u64, u64)> {
    let figure = |name: &str| -> Option<u64> {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    };
    Some((
        figure("embargo_intake_commits_total")?,
        figure("embargo_intake_committed_total")?,
    ))
}

/// The socket address that follows `prefix` in `line`, up to the next space:
/// `listening_address("Embargo is listening on 127.0.0.1:4242 (public URL …)",
/// "Embargo is listening on ")` is `127.0.0.1:4242`.
pub fn listening_address(line: &str, prefix: &str) -> Option<SocketAddr> {
    let rest = line.trim().strip_prefix(prefix)?;
    rest.split_whitespace().next()?.parse().ok()
}

/// The address a child process says it listens on: reads `output` (its piped standard
/// output) until a line gives [`listening_address`] after `prefix`. A thread of its own
/// keeps reading to the end, so the child never blocks on a full pipe. Panics, with
/// what the child printed, when no such line comes within `within`.
pub fn wait_for_address(
    output: impl std::io::Read + Send + 'static,
    prefix: &str,
    within: std::time::Duration,
) -> SocketAddr {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    let wanted = prefix.to_string();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(output)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send((listening_address(&line, &wanted), line));
        }
    });
    let deadline = std::time::Instant::now() + within;
    let mut printed = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok((Some(addr), _)) => return addr,
            Ok((None, line)) => printed.push(line),
            Err(e) => panic!(
                "no line \"{prefix}ADDRESS\" within {within:?} ({e}); it printed:\n{}",
                printed.join("\n")
            ),
        }
    }
}

/// A port on 127.0.0.1 that was free a moment ago: bound to port 0, read, and released.
///
/// This races: another process may take the port before the one it is meant for binds
/// it, and the test then fails to start its child. Use it only where the port must be
/// known before anything can listen on it, which no pre-bound listener solves:
///
/// - `embargo serve` whose public URL (`EMBARGO_BASE_URL`) must be its real address,
///   because the links it prints and mails (setup links, status URLs) are followed by
///   the test; the URL is read at start, before the server binds;
/// - an address configured for a peer that is started later on purpose (the outbox's
///   relay that is down at first), or one that must stay closed (an unreachable
///   service).
///
/// Everywhere else bind `127.0.0.1:0` and pass the listener, or let the child bind port
/// 0 and read its address with [`listening_address`].
pub fn unbound_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0 for a port: {e}"))
}

/// Python that builds the official-schema validator of a mode (`cve`: CVE JSON 5.2.0, `osv`, `csaf`,
/// `provider`) from the corpus: `validator(mode, corpus)`, with `load(path)`. The tests
/// that check documents against those schemas prepend it to their own few lines.
pub const SCHEMA_VALIDATOR_PY: &str = r#"
import json, sys, pathlib
from jsonschema import Draft7Validator, Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
def load(p):
    with open(p, encoding="utf-8") as fh:
        return json.load(fh)
def validator(mode, corpus):
    if mode == "cve":
        return Draft7Validator(load(corpus / "schemas/cve/CVE_Record_Format_bundled_5.2.0.json"))
    if mode == "osv":
        return Draft202012Validator(load(corpus / "schemas/osv/schema.json"))
    csaf = load(corpus / "schemas/csaf/csaf_json_schema.json")
    first = corpus / "schemas/csaf/referenced_schema/first"
    # The FIRST schemas' own $id differs from the URL CSAF refers to: map by URL.
    res = [("https://www.first.org/cvss/cvss-v%s.json" % x,
            Resource.from_contents(load(first / ("cvss-v%s.json" % x)), default_specification=DRAFT7))
           for x in ("2.0", "3.0", "3.1")]
    res.append((csaf["$id"], Resource.from_contents(csaf)))
    schema = csaf if mode == "csaf" else load(corpus / "schemas/csaf/provider_json_schema.json")
    return Draft202012Validator(schema, registry=Registry().with_resources(res))
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_commit_counters_are_read_from_the_exposition() {
        let text = "# TYPE embargo_intake_commits_total counter\n\
                    embargo_intake_commits_total 3\n\
                    embargo_intake_committed_total 10\n";
        assert_eq!(intake_commits(text), Some((3, 10)));
        assert_eq!(intake_commits("embargo_database_up 1\n"), None);
    }

    #[test]
    fn addresses_are_read_from_what_servers_print() {
        assert_eq!(
            listening_address(
                "Embargo is listening on 127.0.0.1:4242 (public URL http://x)",
                "Embargo is listening on "
            ),
            Some("127.0.0.1:4242".parse().expect("addr"))
        );
        assert_eq!(
            listening_address(
                "SMTP receiver listening on [::1]:25\n",
                "SMTP receiver listening on "
            ),
            Some("[::1]:25".parse().expect("addr"))
        );
        assert_eq!(
            listening_address("Embargo stopped.", "Embargo is listening on "),
            None
        );
    }

    #[test]
    fn the_default_corpus_is_beside_the_workspace() {
        if std::env::var_os(CORPUS_ENV).is_none() {
            assert!(corpus_path().ends_with("../shared/corpus"));
        }
    }

    #[test]
    fn programs_are_found_on_the_path() {
        assert!(find_program(&["no-such-program-here", "sh"]).is_some());
        assert!(find_program(&["no-such-program-here"]).is_none());
    }
}
