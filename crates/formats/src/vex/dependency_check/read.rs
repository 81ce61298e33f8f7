//! Reading a suppression file into its rules, each with where it stands: the XML
//! (quick-xml's pull reader, no DTD, no entities beyond XML's own) and the checks of the
//! 1.3 schema on every value, so that whatever is read can be written back valid.

use std::borrow::Cow;
use std::fmt;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::{DcElement, DcRule, DcValue};
use crate::vex::{MAX_STATEMENTS, VexError, VexFormat};

/// The namespaces of the suppression schemas (1.0 to 1.3, and the legacy OWASP one).
pub(super) const NAMESPACES: [&str; 5] = [
    "https://jeremylong.github.io/DependencyCheck/dependency-suppression.1.3.xsd",
    "https://jeremylong.github.io/DependencyCheck/dependency-suppression.1.2.xsd",
    "https://jeremylong.github.io/DependencyCheck/dependency-suppression.1.1.xsd",
    "https://jeremylong.github.io/DependencyCheck/dependency-suppression.1.0.xsd",
    "https://www.owasp.org/index.php/OWASP_Dependency_Check_Suppression",
];

const FORMAT: VexFormat = VexFormat::DependencyCheck;

/// A line and column (from 1; columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// A rule as read, with the position of its `<suppress>`.
pub(super) struct RawRule {
    pub at: Pos,
    pub rule: DcRule,
}

/// Where byte `offset` of `text` is.
pub(super) fn pos(text: &str, offset: usize) -> Pos {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos {
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

/// Positions of increasing offsets in one text, found in one pass over it.
struct Tracker<'a> {
    text: &'a str,
    offset: usize,
    at: Pos,
}

impl<'a> Tracker<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            offset: 0,
            at: Pos { line: 1, column: 1 },
        }
    }

    fn at(&mut self, offset: usize) -> Pos {
        if offset < self.offset || !self.text.is_char_boundary(offset.min(self.text.len())) {
            return pos(self.text, offset);
        }
        let offset = offset.min(self.text.len());
        for c in self.text[self.offset..offset].chars() {
            if c == '\n' {
                self.at = Pos {
                    line: self.at.line + 1,
                    column: 1,
                };
            } else {
                self.at.column += 1;
            }
        }
        self.offset = offset;
        self.at
    }
}

/// The text of a suppression file, which must be UTF-8.
pub(super) fn utf8(bytes: &[u8]) -> Result<&str, VexError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
        let p = pos(valid, valid.len());
        VexError::Syntax {
            format: FORMAT.title(),
            syntax: "XML",
            line: p.line,
            column: p.column,
            message: "not UTF-8 (suppression files are read as UTF-8)".into(),
        }
    })
}

fn syntax(text: &str, offset: u64, message: impl fmt::Display) -> VexError {
    let p = pos(text, usize::try_from(offset).unwrap_or(usize::MAX));
    VexError::Syntax {
        format: FORMAT.title(),
        syntax: "XML",
        line: p.line,
        column: p.column,
        message: message.to_string(),
    }
}

fn invalid(at: Pos, message: impl Into<String>) -> VexError {
    VexError::invalid(FORMAT, at.to_string(), message)
}

/// Whether the document's root is `<suppressions>` in a suppression namespace.
pub(crate) fn sniff(bytes: &[u8]) -> Result<(), VexError> {
    let text = utf8(bytes)?;
    let mut reader = NsReader::from_str(text);
    loop {
        let event = reader
            .read_event()
            .map_err(|e| syntax(text, reader.error_position(), e))?;
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let (ns, local) = reader.resolve_element(e.name());
                let local = String::from_utf8_lossy(local.as_ref()).into_owned();
                return match namespace(&ns) {
                    Some(_) if local == "suppressions" => Ok(()),
                    found => Err(VexError::UnknownFormat(format!(
                        "XML with root <{local}> in namespace {:?}; a Dependency-Check \
                         suppression file has <suppressions> in {}",
                        found.unwrap_or_default(),
                        NAMESPACES[0]
                    ))),
                };
            }
            Event::Eof => {
                return Err(VexError::UnknownFormat("XML without a root element".into()));
            }
            _ => {}
        }
    }
}

/// The suppression namespace an element is in, if it is one.
fn namespace(ns: &ResolveResult) -> Option<String> {
    match ns {
        ResolveResult::Bound(n) => {
            let n = String::from_utf8_lossy(n.as_ref());
            NAMESPACES.contains(&n.as_ref()).then(|| n.into_owned())
        }
        _ => None,
    }
}

/// Where the reader is.
enum State {
    Prolog,
    Root,
    Rule(RawRule),
    Epilog,
}

/// Every rule of the file, in order.
pub(super) fn read(text: &str) -> Result<Vec<RawRule>, VexError> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    let mut rules = Vec::new();
    let mut state = State::Prolog;
    let mut root_ns = String::new();
    let mut tracker = Tracker::new(text);
    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let at = tracker.at(offset);
        let event = reader
            .read_event()
            .map_err(|e| syntax(text, reader.error_position(), e))?;
        state = match (state, event) {
            (s, Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_)) => s,
            (s, Event::Text(t)) => {
                let t = t.unescape().map_err(|e| syntax(text, offset as u64, e))?;
                if !t.trim().is_empty() {
                    return Err(invalid(at, format!("unexpected text {:?}", clip(&t))));
                }
                s
            }
            (_, Event::CData(_)) => {
                return Err(invalid(at, "unexpected CDATA outside <notes>"));
            }
            (State::Prolog, Event::Start(e)) => {
                root_ns = root_namespace(&reader, &e, at)?;
                State::Root
            }
            (State::Root, Event::Start(e)) => {
                State::Rule(open_rule(&reader, &e, &root_ns, at, rules.len())?)
            }
            (State::Root, Event::End(_)) => State::Epilog,
            (State::Rule(mut raw), Event::Start(e)) => {
                let name = element_name(&reader, &e, &root_ns, at)?;
                let content = element_text(&mut reader, text, &name)?;
                add_child(&mut raw, &e, &name, content, at)?;
                State::Rule(raw)
            }
            (State::Rule(raw), Event::End(_)) => {
                rules.push(finish_rule(raw)?);
                State::Root
            }
            (State::Epilog, Event::Eof) => return Ok(rules),
            (state, Event::Eof) => return Err(syntax(text, offset as u64, cut_short(&state))),
            (State::Epilog, _) => {
                return Err(invalid(at, "content after </suppressions>"));
            }
            (_, other) => {
                return Err(invalid(at, format!("unexpected {other:?}")));
            }
        };
    }
}

/// The namespace of the root element, which must be `<suppressions>` in one of
/// [`NAMESPACES`].
fn root_namespace(reader: &NsReader<&[u8]>, e: &BytesStart, at: Pos) -> Result<String, VexError> {
    let (ns, local) = reader.resolve_element(e.name());
    match (namespace(&ns), local.as_ref()) {
        (Some(n), b"suppressions") => Ok(n),
        _ => Err(invalid(
            at,
            format!(
                "the root element must be <suppressions> in {}",
                NAMESPACES[0]
            ),
        )),
    }
}

/// A `<suppress>` just opened (the `count`-th rule).
fn open_rule(
    reader: &NsReader<&[u8]>,
    e: &BytesStart,
    root_ns: &str,
    at: Pos,
    count: usize,
) -> Result<RawRule, VexError> {
    let name = element_name(reader, e, root_ns, at)?;
    if name != "suppress" {
        return Err(invalid(
            at,
            format!("<{name}> in <suppressions>: only <suppress> elements go there"),
        ));
    }
    if count >= MAX_STATEMENTS {
        return Err(VexError::TooLarge {
            what: "suppression rules",
            found: count + 1,
            limit: MAX_STATEMENTS,
        });
    }
    Ok(RawRule {
        at,
        rule: rule_attributes(e, at)?,
    })
}

/// What an end of file in `state` means.
fn cut_short(state: &State) -> &'static str {
    match state {
        State::Prolog => "the document ends before its root element <suppressions>",
        State::Rule(_) => "the document ends inside a <suppress> (cut short?)",
        _ => "the document ends before </suppressions> (cut short?)",
    }
}

/// The local name of an element, which must be in the root's namespace.
fn element_name(
    reader: &NsReader<&[u8]>,
    e: &BytesStart,
    root_ns: &str,
    at: Pos,
) -> Result<String, VexError> {
    let (ns, local) = reader.resolve_element(e.name());
    let local = String::from_utf8_lossy(local.as_ref()).into_owned();
    if namespace(&ns).as_deref() != Some(root_ns) {
        return Err(invalid(
            at,
            format!("<{local}> is not in the file's namespace {root_ns}"),
        ));
    }
    Ok(local)
}

/// The text inside the element just opened (text, CDATA and entities; comments
/// skipped), up to its end tag. EOLs are normalised as XML prescribes.
fn element_text(reader: &mut NsReader<&[u8]>, text: &str, name: &str) -> Result<String, VexError> {
    let mut out = String::new();
    loop {
        let offset = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| syntax(text, reader.error_position(), e))?;
        match event {
            Event::Text(t) => out.push_str(&t.unescape().map_err(|e| syntax(text, offset, e))?),
            Event::CData(c) => out.push_str(&String::from_utf8_lossy(&c.into_inner())),
            Event::Comment(_) | Event::PI(_) => {}
            Event::End(_) => break,
            Event::Eof => {
                return Err(syntax(
                    text,
                    offset,
                    format!("the document ends inside <{name}> (cut short?)"),
                ));
            }
            _ => {
                return Err(invalid(
                    pos(text, usize::try_from(offset).unwrap_or(usize::MAX)),
                    format!("<{name}> holds text only, not elements"),
                ));
            }
        }
    }
    Ok(out.replace("\r\n", "\n").replace('\r', "\n"))
}

/// `base` and `until` of a `<suppress>`.
fn rule_attributes(e: &BytesStart, at: Pos) -> Result<DcRule, VexError> {
    let mut rule = DcRule::default();
    for (key, value) in attributes(e, at)? {
        match key.as_str() {
            "base" => rule.base = boolean(&value).ok_or_else(|| not_boolean(at, "base", &value))?,
            "until" => {
                let v = value.trim();
                if !is_xs_date(v) {
                    return Err(invalid(
                        at,
                        format!(
                            "until={value:?} is not a date (YYYY-MM-DD, optionally with a zone such as Z)"
                        ),
                    ));
                }
                rule.until = Some(v.to_string());
            }
            other => {
                return Err(invalid(
                    at,
                    format!("<suppress> has no attribute {other:?}"),
                ));
            }
        }
    }
    Ok(rule)
}

/// The attributes of an element that are in no namespace (`xmlns` declarations and
/// attributes of other vocabularies, such as `xsi:`, are skipped).
fn attributes(e: &BytesStart, at: Pos) -> Result<Vec<(String, String)>, VexError> {
    let mut out = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| invalid(at, format!("attribute: {err}")))?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        if key == "xmlns" || key.contains(':') {
            continue;
        }
        let value = attr
            .unescape_value()
            .map_err(|err| invalid(at, format!("attribute {key}: {err}")))?;
        out.push((key, value.into_owned()));
    }
    Ok(out)
}

fn boolean(v: &str) -> Option<bool> {
    match v.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn not_boolean(at: Pos, key: &str, value: &str) -> VexError {
    invalid(at, format!("{key}={value:?} is not true or false"))
}

/// One child of a `<suppress>`, in the order the schema wants: notes, at most one of
/// filePath/sha1/gav/packageUrl, then the vulnerability matchers.
fn add_child(
    raw: &mut RawRule,
    e: &BytesStart,
    name: &str,
    content: String,
    at: Pos,
) -> Result<(), VexError> {
    if name == "notes" {
        if !attributes(e, at)?.is_empty() {
            return Err(invalid(at, "<notes> takes no attributes"));
        }
        if raw.rule.notes.is_some() {
            return Err(invalid(at, "a second <notes> in one <suppress>"));
        }
        raw.rule.notes = Some(content);
        return Ok(());
    }
    let element = DcElement::from_tag(name).ok_or_else(|| {
        invalid(
            at,
            format!("<{name}> is not a suppression element (notes, filePath, sha1, gav, packageUrl, cpe, cve, vulnerabilityName, cwe, cvssBelow)"),
        )
    })?;
    let mut value = DcValue {
        element,
        value: content,
        regex: false,
        case_sensitive: false,
    };
    for (key, v) in attributes(e, at)? {
        let flag = match key.as_str() {
            "regex" if element.takes_regex() => &mut value.regex,
            "caseSensitive" if element.takes_regex() => &mut value.case_sensitive,
            _ => return Err(invalid(at, format!("<{name}> has no attribute {key:?}"))),
        };
        *flag = boolean(&v).ok_or_else(|| not_boolean(at, &key, &v))?;
    }
    value.value = check_value(element, &value.value).map_err(|m| invalid(at, m))?;
    if element.is_selector() {
        if let Some(first) = &raw.rule.selector {
            return Err(invalid(
                at,
                format!(
                    "<{name}> after <{}>: a <suppress> names at most one of filePath, sha1, gav, packageUrl",
                    first.element.tag()
                ),
            ));
        }
        raw.rule.selector = Some(value);
    } else {
        raw.rule.matches.push(value);
    }
    Ok(())
}

/// A rule's last check: it matches something.
fn finish_rule(raw: RawRule) -> Result<RawRule, VexError> {
    if raw.rule.matches.is_empty() {
        return Err(invalid(
            raw.at,
            "a <suppress> needs at least one of cpe, cve, vulnerabilityName, cwe, cvssBelow",
        ));
    }
    Ok(raw)
}

/// The value as the 1.3 schema takes it (typed values trimmed, as XML Schema's
/// whitespace rules allow), or why not.
pub(super) fn check_value(element: DcElement, value: &str) -> Result<String, String> {
    let tag = element.tag();
    let trimmed = value.trim();
    let ok = match element {
        DcElement::Sha1 => trimmed.len() == 40 && trimmed.bytes().all(|b| b.is_ascii_hexdigit()),
        DcElement::Cve => is_cve_type(trimmed),
        DcElement::Cwe => {
            !trimmed.is_empty()
                && trimmed.bytes().all(|b| b.is_ascii_digit())
                && trimmed.bytes().any(|b| b != b'0')
        }
        DcElement::CvssBelow => is_score(trimmed),
        _ => return Ok(value.to_string()),
    };
    if ok {
        Ok(trimmed.to_string())
    } else {
        let what = match element {
            DcElement::Sha1 => "a SHA-1 (40 hexadecimal digits)",
            DcElement::Cve => "a CVE id (CVE-YYYY-NNNN; other ids go in <vulnerabilityName>)",
            DcElement::Cwe => "a CWE number (a positive integer)",
            _ => "a CVSS score from 0 to 10",
        };
        Err(format!("<{tag}>{}</{tag}> is not {what}", clip(value)))
    }
}

/// The schema's `cveType`: `((\w+\-)?CVE\-\d\d\d\d\-\d+|\d+)` (with `\w` read as
/// letters and digits, a subset of XML Schema's).
pub(super) fn is_cve_type(v: &str) -> bool {
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let Some(i) = v.find("CVE-") else {
        return false;
    };
    let (prefix, rest) = v.split_at(i);
    let prefix_ok = prefix.is_empty()
        || prefix
            .strip_suffix('-')
            .is_some_and(|p| !p.is_empty() && p.chars().all(char::is_alphanumeric));
    let rest = &rest[4..];
    let (year, number) = rest.split_at(rest.len().min(4));
    prefix_ok
        && year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && number
            .strip_prefix('-')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A decimal from 0 to 10.
fn is_score(v: &str) -> bool {
    let digits = v.strip_prefix('+').unwrap_or(v);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    (!int.is_empty() || !frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && digits
            .parse::<f64>()
            .is_ok_and(|s| (0.0..=10.0).contains(&s))
}

/// An `xs:date`: `YYYY-MM-DD`, then optionally `Z` or `±hh:mm`.
pub(super) fn is_xs_date(v: &str) -> bool {
    let Some(date) = v.get(..10) else {
        return false;
    };
    let zone = &v[10..];
    let zone_ok = match zone.as_bytes() {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()),
        _ => false,
    };
    zone_ok && date.parse::<jiff::civil::Date>().is_ok()
}

/// At most 60 characters of `s`, for messages.
pub(super) fn clip(s: &str) -> Cow<'_, str> {
    let s = s.trim();
    match s.char_indices().nth(60) {
        Some((i, _)) => Cow::Owned(format!("{}…", &s[..i])),
        None => Cow::Borrowed(s),
    }
}
