//! What two spellings of a component have in common: the comparison keys that let a
//! scanner's `pkg:maven/g/a@1.2?type=jar`, `g:a`, `a-1.2.jar` and a statement's
//! `pkg:maven/g/a` meet (docs/vex.md, "Scanner reports").
//!
//! A component has a *strong* key where its ecosystem is known (`maven/g/a` from a purl
//! or from Maven coordinates) and always a *tail*: its bare name, lower-cased, without
//! version, extension or path. Versions, qualifiers and case never take part.

use packageurl::PackageUrl;

/// The comparison keys of one component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ComponentKey {
    /// `type/namespace/name` (lower-cased), where the ecosystem is known.
    pub strong: Option<Box<str>>,
    /// The bare name: `jackson-databind`, `libssl1.1`, `xxhash/v2`.
    pub tail: Box<str>,
}

/// How closely two components matched: by ecosystem and full name, or by bare name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Closeness {
    Strong,
    Tail,
}

impl ComponentKey {
    /// The keys of a component named by an optional purl and a name as printed.
    pub fn of(purl: Option<&str>, name: &str) -> Self {
        if let Some(key) = purl.and_then(purl_key) {
            return key;
        }
        let name = name.trim();
        if name
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("pkg:"))
            && let Some(key) = purl_key(name)
        {
            return key;
        }
        name_key(name)
    }

    /// Whether `self` and `other` are the same component, and how sure that is. Two
    /// strong keys must be equal (a Debian `openssl` is not Alpine's); otherwise the
    /// tails decide. Always within one vulnerability, so the tail is specific enough.
    pub fn closeness(&self, other: &ComponentKey) -> Option<Closeness> {
        match (&self.strong, &other.strong) {
            (Some(a), Some(b)) => (a == b).then_some(Closeness::Strong),
            _ => (self.tail == other.tail).then_some(Closeness::Tail),
        }
    }

    /// Bytes this key holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.strong.as_ref().map_or(0, |s| s.len()) + self.tail.len()
    }
}

/// The keys of a package URL, ignoring version, qualifiers and subpath; `None` where it
/// does not parse.
fn purl_key(purl: &str) -> Option<ComponentKey> {
    // Qualifiers and subpath never take part; cutting them first also spares the parser
    // its map of qualifiers.
    let base = purl.trim().split(['?', '#']).next().unwrap_or_default();
    let parsed: PackageUrl = base.parse().ok()?;
    let ty = parsed.ty().to_ascii_lowercase();
    let mut name = parsed.name().to_lowercase();
    if ty == "pypi" {
        // PEP 503: `Foo_Bar`, `foo.bar` and `foo-bar` are one project.
        name = name.replace(['_', '.'], "-");
    }
    let path = match parsed.namespace() {
        Some(ns) if !ns.is_empty() => format!("{}/{name}", ns.to_lowercase()),
        _ => name,
    };
    Some(ComponentKey {
        tail: tail_of(&path).into(),
        strong: Some(format!("{ty}/{path}").into()),
    })
}

/// The keys of a component known by name only: Maven coordinates, a jar file name,
/// `name@version`, `module:version`, a path.
fn name_key(name: &str) -> ComponentKey {
    let lower = name.to_lowercase();
    let file = lower.rsplit(['/', '\\']).next().unwrap_or_default();
    if let Some((bare, _)) = split_archive_name(file) {
        return ComponentKey {
            strong: None,
            tail: bare.into(),
        };
    }
    let mut s = lower.as_str();
    // `name@1.2` (Trivy's package ids), but not an npm scope's leading `@`.
    if let Some(i) = s.rfind('@')
        && i > 0
        && !s[i + 1..].contains('/')
    {
        s = &s[..i];
    }
    if let Some((group, artifact)) = maven_coordinates(s) {
        return ComponentKey {
            strong: Some(format!("maven/{group}/{artifact}").into()),
            tail: artifact.into(),
        };
    }
    // `github.com/x/y:1.6.0` (Dependency-Check's names of Go modules and npm packages).
    if let Some(i) = s.rfind(':')
        && s[i + 1..].starts_with(|c: char| c.is_ascii_digit())
    {
        s = &s[..i];
    }
    ComponentKey {
        strong: None,
        tail: tail_of(s).into(),
    }
}

/// `group:artifact`, `group:artifact:version` or `group:artifact:packaging:version`, as
/// Maven, Gradle and scanners print them.
fn maven_coordinates(s: &str) -> Option<(&str, &str)> {
    if s.contains(['/', '\\', ' ']) {
        return None;
    }
    let mut parts = s.split(':');
    let group = parts.next().filter(|g| !g.is_empty())?;
    let artifact = parts.next().filter(|a| !a.is_empty())?;
    let rest: Vec<&str> = parts.collect();
    let digit_first = |s: &&str| s.starts_with(|c: char| c.is_ascii_digit());
    // A version somewhere after the artifact (`:1.2`, `:jar:1.2`, `:1.2:tests`).
    let plausible = rest.len() <= 3 && (rest.is_empty() || rest.iter().any(digit_first));
    // A group has dots or is a plain word (`cpe:` and `python:3.9` are not coordinates).
    (plausible
        && group != "cpe"
        && !digit_first(&artifact)
        && group.chars().all(is_coordinate_char))
    .then_some((group, artifact))
}

fn is_coordinate_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-' | '_')
}

/// The last path segment, keeping a Go major-version suffix with its module
/// (`github.com/cespare/xxhash/v2` → `xxhash/v2`).
fn tail_of(path: &str) -> &str {
    let path = path.trim_matches('/');
    let Some(i) = path.rfind('/') else {
        return path;
    };
    let last = &path[i + 1..];
    let is_major =
        last.len() > 1 && last.starts_with('v') && last[1..].chars().all(|c| c.is_ascii_digit());
    match (is_major, path[..i].rfind('/')) {
        (true, Some(j)) => &path[j + 1..],
        (true, None) => path,
        (false, _) => last,
    }
}

/// The extensions of Java archives, whose file names carry name and version.
const ARCHIVE_EXTENSIONS: &[&str] = &[".jar", ".war", ".ear", ".aar", ".hpi", ".jpi", ".nar"];

/// Qualifiers that may stand between a version and a trailing number (`1.0-beta-2`).
const QUALIFIERS: &[&str] = &[
    "alpha",
    "beta",
    "rc",
    "cr",
    "m",
    "milestone",
    "pre",
    "preview",
    "sp",
];

/// A Java archive's file name split into name and version:
/// `jackson-databind-2.13.4.jar` → (`jackson-databind`, `2.13.4`),
/// `log4j-1.2-api-2.17.1.jar` → (`log4j-1.2-api`, `2.17.1`), `guava-31.1-jre.jar` →
/// (`guava`, `31.1-jre`), `tools.jar` → (`tools`, none). `None` for other files.
pub fn split_archive_name(file_name: &str) -> Option<(&str, Option<&str>)> {
    let file_name = file_name.trim();
    let stem = ARCHIVE_EXTENSIONS.iter().find_map(|ext| {
        let cut = file_name.len().checked_sub(ext.len())?;
        let (stem, tail) = (file_name.get(..cut)?, file_name.get(cut..)?);
        tail.eq_ignore_ascii_case(ext).then_some(stem)
    })?;
    if stem.is_empty() {
        return None;
    }
    // The version starts at the last `-` followed by a digit, unless what precedes it
    // is a qualifier of an earlier version (`-beta-2`).
    let starts: Vec<usize> = stem
        .match_indices('-')
        .map(|(i, _)| i)
        .filter(|&i| i > 0 && stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    let mut chosen = starts.last().copied();
    if let [.., earlier, last] = starts.as_slice() {
        let before = &stem[..*last];
        let word = before.rsplit(['-', '.']).next().unwrap_or_default();
        if QUALIFIERS.iter().any(|q| word.eq_ignore_ascii_case(q)) {
            chosen = Some(*earlier);
        }
    }
    Some(match chosen {
        Some(i) => (&stem[..i], Some(&stem[i + 1..])),
        None => (stem, None),
    })
}

/// A vulnerability id as a key: trimmed and upper-cased (`ghsa-…` and `GHSA-…` are one
/// advisory), written into `buf` so that lookups allocate nothing.
pub(super) fn normalise_id<'b>(id: &str, buf: &'b mut String) -> &'b str {
    buf.clear();
    buf.extend(id.trim().chars().map(|c| c.to_ascii_uppercase()));
    buf.as_str()
}
