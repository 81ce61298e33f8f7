//! What two spellings of a component have in common: the comparison keys that let a
//! scanner's `pkg:maven/g/a@1.2?type=jar`, `g:a`, `a-1.2.jar` and a statement's
//! `pkg:maven/g/a` meet (docs/vex.md, "Scanner reports").
//!
//! A component has a *strong* key where its ecosystem is known (`maven/g/a` from a purl
//! or from Maven coordinates) and always a *tail*: its bare name, lower-cased, without
//! version, extension or path. Versions, qualifiers and case never take part.

use packageurl::PackageUrl;

/// The comparison keys of one component, in one allocation: the strong key where there
/// is one, and the tail as a part of it (or alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ComponentKey {
    /// `type/namespace/name` (lower-cased) where the ecosystem is known, else the tail.
    text: Box<str>,
    /// Whether `text` is a strong key.
    strong: bool,
    /// Where the tail is in `text`.
    tail: std::ops::Range<u32>,
}

/// How closely two components matched: by ecosystem and full name, by bare name, or
/// by a statement about any component (the closest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Closeness {
    Strong,
    Tail,
    Any,
}

pub use crate::vex::ANY_COMPONENT;

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

    /// A strong key `text`, whose tail is the slice `tail` of it.
    fn strong(text: String, tail: std::ops::Range<usize>) -> Self {
        let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            text: text.into_boxed_str(),
            strong: true,
            tail: to_u32(tail.start)..to_u32(tail.end),
        }
    }

    /// A key with a tail only.
    fn tail_only(tail: &str) -> Self {
        Self {
            text: tail.into(),
            strong: false,
            tail: 0..u32::try_from(tail.len()).unwrap_or(u32::MAX),
        }
    }

    /// `type/namespace/name`, where the ecosystem is known.
    pub fn strong_key(&self) -> Option<&str> {
        self.strong.then_some(&*self.text)
    }

    /// The bare name: `jackson-databind`, `libssl1.1`, `xxhash/v2`.
    pub fn tail(&self) -> &str {
        self.text
            .get(self.tail.start as usize..self.tail.end as usize)
            .unwrap_or_default()
    }

    /// Whether a statement's component (`self`) answers a finding's (`other`), and how
    /// closely. [`ANY_COMPONENT`] answers every component; two strong keys must be equal
    /// (a Debian `openssl` is not Alpine's); otherwise the tails decide. Always within
    /// one vulnerability, so the tail is specific enough.
    pub fn closeness(&self, other: &ComponentKey) -> Option<Closeness> {
        if self.is_any() {
            return Some(Closeness::Any);
        }
        match (self.strong_key(), other.strong_key()) {
            (Some(a), Some(b)) => (a == b).then_some(Closeness::Strong),
            _ => (self.tail() == other.tail()).then_some(Closeness::Tail),
        }
    }

    fn is_any(&self) -> bool {
        !self.strong && &*self.text == ANY_COMPONENT
    }

    /// Bytes this key holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.text.len()
    }
}

/// The keys of a package URL, ignoring version, qualifiers and subpath; `None` where it
/// does not parse.
fn purl_key(purl: &str) -> Option<ComponentKey> {
    // Qualifiers and subpath never take part; cutting them first also spares the parser
    // its map of qualifiers.
    let base = purl.trim().split(['?', '#']).next().unwrap_or_default();
    let parsed: PackageUrl = base.parse().ok()?;
    // `type/namespace/name`, lower-cased, written once: the tail is its last part.
    let mut strong = String::with_capacity(base.len());
    push_lower(&mut strong, parsed.ty());
    strong.push('/');
    let path = strong.len();
    if let Some(ns) = parsed.namespace().filter(|ns| !ns.is_empty()) {
        push_lower(&mut strong, ns);
        strong.push('/');
    }
    if parsed.ty() == "pypi" {
        // PEP 503: `Foo_Bar`, `foo.bar` and `foo-bar` are one project.
        let name = parsed
            .name()
            .chars()
            .map(|c| if matches!(c, '_' | '.') { '-' } else { c });
        strong.extend(name.flat_map(char::to_lowercase));
    } else {
        push_lower(&mut strong, parsed.name());
    }
    let tail = range_in(&strong, tail_of(&strong[path..]));
    Some(ComponentKey::strong(strong, tail))
}

/// Where `part`, a slice of `whole`, lies in it.
fn range_in(whole: &str, part: &str) -> std::ops::Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize);
    start..start + part.len()
}

fn push_lower(out: &mut String, s: &str) {
    out.extend(s.chars().flat_map(char::to_lowercase));
}

/// The keys of a component known by name only: Maven coordinates, a jar file name,
/// `name@version`, `module:version`, a path.
fn name_key(name: &str) -> ComponentKey {
    let lower = name.to_lowercase();
    let file = lower.rsplit(['/', '\\']).next().unwrap_or_default();
    if let Some((bare, _)) = split_archive_name(file) {
        return ComponentKey::tail_only(bare);
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
        let strong = format!("maven/{group}/{artifact}");
        let tail = strong.len() - artifact.len()..strong.len();
        return ComponentKey::strong(strong, tail);
    }
    // `github.com/x/y:1.6.0` (Dependency-Check's names of Go modules and npm packages).
    if let Some(i) = s.rfind(':')
        && s[i + 1..].starts_with(|c: char| c.is_ascii_digit())
    {
        s = &s[..i];
    }
    ComponentKey::tail_only(tail_of(s))
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
    let digit_first = |s: &str| s.starts_with(|c: char| c.is_ascii_digit());
    // A version somewhere after the artifact (`:1.2`, `:jar:1.2`, `:1.2:tests`).
    let (mut rest, mut versioned) = (0, false);
    for part in parts {
        rest += 1;
        versioned |= digit_first(part);
    }
    let plausible = rest <= 3 && (rest == 0 || versioned);
    // A group has dots or is a plain word (`cpe:` and `python:3.9` are not coordinates).
    (plausible && group != "cpe" && !digit_first(artifact) && group.chars().all(is_coordinate_char))
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
    buf.push_str(id.trim());
    buf.make_ascii_uppercase();
    buf.as_str()
}
