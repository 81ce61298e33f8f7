//! OWASP Dependency-Check's XML report (`dependency-check-report.xml`, root
//! `<analysis>`, namespaces `dependency-check.*.xsd`): one entry per
//! `dependencies/dependency/vulnerabilities/vulnerability/name`, the component from the
//! dependency's `identifiers/package/id` (purls; older reports' `identifier
//! type="maven"`), else its `fileName` (the rule Dependency-Check's JSON report shares).
//!
//! Read as a stream (quick-xml: no DOM, no external entities) by the path of each
//! element, so that the `name`s of references, evidence and related or suppressed
//! entries never pass for a vulnerability's.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::{Collector, ScanError, ScanFormat, dependency_check_json::component};

const FORMAT: &str = "Dependency-Check XML";

/// Deeper nesting than any report has; refused rather than followed.
const MAX_DEPTH: usize = 100;

/// A dependency's fields, as they are read.
#[derive(Default)]
struct Dependency {
    file_name: Option<String>,
    file_path: Option<String>,
    package_ids: Vec<String>,
    maven: Option<String>,
    vulnerabilities: Vec<String>,
}

/// Which field the text being read belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    FileName,
    FilePath,
    PackageId,
    Maven,
    Vulnerability,
}

/// Whether the XML document is a Dependency-Check report (its root is `<analysis>`).
pub(super) fn detect(text: &[u8]) -> Result<ScanFormat, ScanError> {
    let mut reader = Reader::from_reader(text);
    loop {
        match reader.read_event().map_err(|e| xml_error(&reader, e))? {
            Event::Start(e) | Event::Empty(e) => {
                let root = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                return if root == "analysis" {
                    Ok(ScanFormat::DependencyCheckXml)
                } else {
                    Err(ScanError::Unknown(format!(
                        "XML whose root element is <{root}>"
                    )))
                };
            }
            Event::Eof => return Err(ScanError::Unknown("XML without elements".into())),
            _ => {}
        }
    }
}

pub(super) fn read(text: &[u8], out: &mut Collector) -> Result<(), ScanError> {
    let mut reader = Reader::from_reader(text);
    let mut path: Vec<String> = Vec::new();
    let mut dependency: Option<Dependency> = None;
    // The field being read, its text so far, and whether the open `identifier` is Maven's.
    let mut field: Option<(Field, String)> = None;
    let mut maven_identifier = false;
    loop {
        match reader.read_event().map_err(|e| xml_error(&reader, e))? {
            Event::Start(e) => {
                if path.len() >= MAX_DEPTH {
                    return Err(invalid(
                        &path,
                        format!("nested deeper than {MAX_DEPTH} elements"),
                    ));
                }
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                match within_dependency(&path) {
                    Some([]) => dependency = Some(Dependency::default()),
                    Some([a, b]) if a == "identifiers" && b == "identifier" => {
                        maven_identifier = attribute(&e, "type").as_deref() == Some("maven");
                    }
                    Some(rel) => {
                        field = field_at(rel, maven_identifier).map(|f| (f, String::new()))
                    }
                    None => {}
                }
            }
            Event::Text(t) => {
                if let Some((_, text)) = field.as_mut() {
                    text.push_str(&t.unescape().map_err(|e| xml_error(&reader, e))?);
                }
            }
            Event::CData(c) => {
                if let Some((_, text)) = field.as_mut() {
                    let decoded = c.decode().map_err(|e| xml_error(&reader, e.into()))?;
                    text.push_str(&decoded);
                }
            }
            Event::End(_) => {
                if let (Some((f, text)), Some(d)) = (field.take(), dependency.as_mut()) {
                    store(d, f, text.trim().to_string());
                }
                if within_dependency(&path).is_some_and(<[String]>::is_empty) {
                    emit(dependency.take(), out)?;
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = path.last() {
        return Err(invalid(&path, format!("the document ends inside <{open}>")));
    }
    Ok(())
}

/// The path below `analysis/dependencies/dependency`, when inside one.
fn within_dependency(path: &[String]) -> Option<&[String]> {
    match path {
        [a, b, c, rest @ ..] if a == "analysis" && b == "dependencies" && c == "dependency" => {
            Some(rest)
        }
        _ => None,
    }
}

/// The field whose text the element at `rel` (below the dependency) holds.
fn field_at(rel: &[String], maven_identifier: bool) -> Option<Field> {
    let rel: Vec<&str> = rel.iter().map(String::as_str).collect();
    match rel.as_slice() {
        ["fileName"] => Some(Field::FileName),
        ["filePath"] => Some(Field::FilePath),
        ["identifiers", "package", "id"] => Some(Field::PackageId),
        ["identifiers", "identifier", "name"] if maven_identifier => Some(Field::Maven),
        ["vulnerabilities", "vulnerability", "name"] => Some(Field::Vulnerability),
        _ => None,
    }
}

fn store(d: &mut Dependency, field: Field, text: String) {
    if text.is_empty() {
        return;
    }
    match field {
        Field::FileName => d.file_name = Some(text),
        Field::FilePath => d.file_path = Some(text),
        Field::PackageId => d.package_ids.push(text),
        Field::Maven => d.maven = d.maven.take().or(Some(text)),
        Field::Vulnerability => d.vulnerabilities.push(text),
    }
}

fn emit(dependency: Option<Dependency>, out: &mut Collector) -> Result<(), ScanError> {
    let Some(d) = dependency.filter(|d| !d.vulnerabilities.is_empty()) else {
        return Ok(());
    };
    // Older reports wrap Maven coordinates in parentheses: `(group:artifact:version)`.
    let maven = d.maven.as_deref().map(|m| m.trim_matches(['(', ')']));
    let component = component(d.file_name, d.file_path, &d.package_ids, maven);
    for v in &d.vulnerabilities {
        out.push(v, [], component.clone())?;
    }
    Ok(())
}

fn attribute(e: &BytesStart<'_>, name: &str) -> Option<String> {
    let a = e.try_get_attribute(name).ok()??;
    a.unescape_value().ok().map(|v| v.into_owned())
}

fn xml_error(reader: &Reader<&[u8]>, e: quick_xml::Error) -> ScanError {
    ScanError::Xml {
        format: FORMAT,
        position: reader.error_position(),
        message: e.to_string(),
    }
}

fn invalid(path: &[String], message: String) -> ScanError {
    ScanError::Invalid {
        format: FORMAT,
        path: path.join("/"),
        message,
    }
}
